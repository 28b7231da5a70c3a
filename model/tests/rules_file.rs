//! The generated rules file parses and routes the domain brief's example.
use pingan_model::domain::{CaseCategory, Department};
use pingan_model::live::DispatchRules;

#[test]
fn generated_rules_file_routes_family_dispute() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/dispatch_rules.json");
    let text =
        std::fs::read_to_string(path).expect("run scripts/setup.sh (or pingan-datagen) first");
    let rules = DispatchRules::parse(&text).unwrap();
    let r = rules
        .route(CaseCategory::Dispute, "居民反映婚姻家庭纠纷，双方争吵")
        .unwrap();
    assert_eq!(
        r.departments,
        [Department::Police, Department::Court, Department::Judicial]
    );
}
