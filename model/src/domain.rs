//! Domain vocabulary of Bao'an's grid governance: the closed sets of codes that
//! appear in the data (case categories, departments, statuses, hazard types,
//! park tiers, risk domains) with their Chinese and English labels.
//!
//! Every enum here serializes as its snake_case code (the form written in
//! GeoJSON properties and on the wire) and has `label(lang)` for the screen.

use serde::{Deserialize, Serialize};

/// The interface language. Simplified Chinese is the default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }
    pub fn from_code(s: &str) -> Option<Lang> {
        match s {
            "zh" | "zh-CN" | "zh-Hans" => Some(Lang::Zh),
            "en" | "en-US" | "en-GB" => Some(Lang::En),
            _ => None,
        }
    }
    /// Picks the Chinese or English text.
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

/// Declares a closed code set: enum, `ALL`, `code()`, `from_code()`, `label()`.
macro_rules! code_set {
    ($(#[$m:meta])* $name:ident { $($var:ident = $code:literal, $zh:literal, $en:literal;)+ }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($var),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$var),+];
            /// The stable code used in files and on the wire.
            pub fn code(self) -> &'static str {
                match self { $($name::$var => $code),+ }
            }
            pub fn from_code(s: &str) -> Option<Self> {
                match s { $($code => Some($name::$var),)+ _ => None }
            }
            pub fn label(self, lang: Lang) -> &'static str {
                match self { $($name::$var => lang.pick($zh, $en)),+ }
            }
            /// Position in `ALL` (stable: used by the compact case format).
            pub fn index(self) -> usize {
                self as usize
            }
            pub fn from_index(i: usize) -> Option<Self> {
                Self::ALL.get(i).copied()
            }
        }
    };
}

code_set! {
    /// The 13 categories grid workers report events in.
    CaseCategory {
        Dispute = "dispute", "矛盾纠纷", "Dispute";
        SafetyHazard = "safety_hazard", "安全隐患", "Safety hazard";
        PublicOrder = "public_order", "治安问题", "Public order";
        FireSafety = "fire_safety", "消防安全", "Fire safety";
        CityAppearance = "city_appearance", "市容环境", "City appearance";
        IllegalConstruction = "illegal_construction", "违法建设", "Illegal construction";
        Pollution = "pollution", "环境污染", "Pollution";
        LabourDispute = "labour_dispute", "劳资纠纷", "Labour dispute";
        FoodDrug = "food_drug", "食品药品", "Food & drug";
        TrafficSafety = "traffic_safety", "交通安全", "Traffic safety";
        RentalHousing = "rental_housing", "出租屋管理", "Rental housing";
        SpecialGroups = "special_groups", "特殊人群", "Special groups";
        PublicFacilities = "public_facilities", "公共设施", "Public facilities";
    }
}

code_set! {
    /// The departments a case can be dispatched to (一体化分拨).
    Department {
        Police = "police", "派出所", "Police station";
        Court = "court", "法院", "Court";
        Judicial = "judicial", "司法所", "Judicial office";
        WomensFederation = "womens_federation", "妇联", "Women's federation";
        Governance = "governance", "综治中心", "Governance centre";
        UrbanManagement = "urban_management", "城管", "Urban management";
        Emergency = "emergency", "应急管理", "Emergency management";
        Fire = "fire", "消防", "Fire";
        Housing = "housing", "住建", "Housing & construction";
        Labour = "labour", "劳动监察", "Labour inspection";
        Market = "market", "市场监管", "Market regulation";
        Water = "water", "水务", "Water";
        Ecology = "ecology", "生态环境", "Ecology & environment";
    }
}

code_set! {
    /// A case's place in its lifecycle.
    CaseStatus {
        Reported = "reported", "已上报", "Reported";
        Accepted = "accepted", "已受理", "Accepted";
        Dispatched = "dispatched", "已分拨", "Dispatched";
        InProgress = "in_progress", "处置中", "In progress";
        Resolved = "resolved", "已办结", "Resolved";
        Archived = "archived", "已归档", "Archived";
        Returned = "returned", "已退回", "Returned";
        Escalated = "escalated", "已升级", "Escalated";
    }
}

impl CaseStatus {
    /// Resolved and archived cases are closed; the rest are open.
    pub fn is_open(self) -> bool {
        !matches!(self, CaseStatus::Resolved | CaseStatus::Archived)
    }
}

code_set! {
    /// Safety-production hazard kinds.
    HazardType {
        Waterlogging = "waterlogging", "积水内涝点", "Waterlogging point";
        HazardousChemicals = "hazardous_chemicals", "危险化学品", "Hazardous chemicals";
        Fire = "fire", "消防隐患", "Fire hazard";
        Construction = "construction", "建筑施工", "Construction site";
        Gas = "gas", "燃气安全", "Gas safety";
        Slope = "slope", "边坡地质灾害", "Slope / geological";
        ConfinedSpace = "confined_space", "有限空间", "Confined space";
        SmallVenue = "small_venue", "三小场所", "Small venue";
        RentalHousing = "rental_housing", "出租屋消防", "Rental-housing fire";
        EbikeCharging = "ebike_charging", "电动车充电", "E-bike charging";
        Industrial = "industrial", "工贸企业", "Industrial enterprise";
    }
}

code_set! {
    /// Rectification status of a hazard site.
    HazardStatus {
        Open = "open", "未整改", "Open";
        Rectifying = "rectifying", "整改中", "Rectifying";
        Rectified = "rectified", "已整改", "Rectified";
    }
}

code_set! {
    /// The four-tier park system, plus other green space.
    ParkTier {
        Country = "country", "自然郊野公园", "Country park";
        City = "city", "城市公园", "City park";
        Community = "community", "社区公园", "Community park";
        Pocket = "pocket", "类公园", "Park-like space";
        Green = "green", "其他绿地", "Other green space";
    }
}

impl ParkTier {
    /// Parks count for the 500 m standard; every tier (green space too) for 300 m.
    pub fn is_park(self) -> bool {
        !matches!(self, ParkTier::Green)
    }
}

code_set! {
    /// The 4 major risk domains of IoT monitoring.
    RiskDomain {
        Emergency = "emergency", "应急", "Emergency";
        Water = "water", "水务", "Water";
        Ecology = "ecology", "生态", "Ecology";
        Traffic = "traffic", "交通", "Traffic";
    }
}

code_set! {
    /// The 15 kinds of risk zone.
    ZoneKind {
        ChemicalPark = "chemical_park", "危化品集中区", "Chemical park";
        GasStation = "gas_station", "加油加气站", "Fuel station";
        Slope = "slope", "边坡隐患区", "Slope risk zone";
        Construction = "construction", "重大工程工地", "Major construction site";
        Crowded = "crowded", "人员密集场所", "Crowded place";
        Reservoir = "reservoir", "水库", "Reservoir";
        River = "river", "河道", "River";
        Lowland = "lowland", "低洼易涝区", "Low-lying flood zone";
        Drainage = "drainage", "排水管网", "Drainage network";
        AirQuality = "air_quality", "空气质量区", "Air-quality zone";
        WaterQuality = "water_quality", "水质断面", "Water-quality section";
        Industrial = "industrial", "工业排放区", "Industrial emission zone";
        Tunnel = "tunnel", "隧道", "Tunnel";
        Bridge = "bridge", "桥梁", "Bridge";
        Junction = "junction", "拥堵路口", "Congested junction";
    }
}

impl ZoneKind {
    pub fn domain(self) -> RiskDomain {
        use ZoneKind::*;
        match self {
            ChemicalPark | GasStation | Slope | Construction | Crowded => RiskDomain::Emergency,
            Reservoir | River | Lowland | Drainage => RiskDomain::Water,
            AirQuality | WaterQuality | Industrial => RiskDomain::Ecology,
            Tunnel | Bridge | Junction => RiskDomain::Traffic,
        }
    }
}

code_set! {
    /// IoT sensor kinds.
    SensorType {
        WaterLevel = "water_level", "水位", "Water level";
        Rainfall = "rainfall", "雨量", "Rainfall";
        Gas = "gas", "可燃气体", "Combustible gas";
        Smoke = "smoke", "烟感", "Smoke";
        SlopeMovement = "slope_movement", "边坡位移", "Slope movement";
        Strain = "strain", "结构应变", "Structural strain";
        AirQuality = "air_quality", "空气质量", "Air quality";
        TrafficFlow = "traffic_flow", "交通流量", "Traffic flow";
    }
}

impl SensorType {
    /// Unit of the readings.
    pub fn unit(self) -> &'static str {
        match self {
            SensorType::WaterLevel => "cm",
            SensorType::Rainfall => "mm/h",
            SensorType::Gas => "%LEL",
            SensorType::Smoke => "dB/m",
            SensorType::SlopeMovement => "mm",
            SensorType::Strain => "με",
            SensorType::AirQuality => "AQI",
            SensorType::TrafficFlow => "veh/h",
        }
    }
}

code_set! {
    /// Where an electronic sentinel stands.
    SentinelKind {
        Estate = "estate", "住宅小区", "Residential estate";
        Village = "village", "城中村", "Urban village";
    }
}

/// Masks a mainland mobile number for public screens: `13812345678` → `138****5678`.
/// Anything that is not 11 digits keeps its first and last quarter only.
/// A number already masked (it holds `*`: the server masks at the source)
/// is kept as it is, so masking twice shows what masking once did.
pub fn mask_phone(phone: &str) -> String {
    if phone.contains('*') {
        return phone.to_string();
    }
    let chars: Vec<char> = phone.chars().collect();
    let n = chars.len();
    if n == 11 && chars.iter().all(|c| c.is_ascii_digit()) {
        let head: String = chars[..3].iter().collect();
        let tail: String = chars[7..].iter().collect();
        return format!("{head}****{tail}");
    }
    if n <= 4 {
        return "*".repeat(n);
    }
    let keep = n / 4;
    let head: String = chars[..keep].iter().collect();
    let tail: String = chars[n - keep..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(n - 2 * keep))
}

/// Masks a person's name: keeps the family name (first character).
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => {
            let rest = chars.count();
            format!("{first}{}", "*".repeat(rest.max(1)))
        }
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirteen_categories_and_departments() {
        assert_eq!(CaseCategory::ALL.len(), 13);
        assert_eq!(Department::ALL.len(), 13);
        assert_eq!(ZoneKind::ALL.len(), 15);
        assert_eq!(RiskDomain::ALL.len(), 4);
    }

    #[test]
    fn codes_round_trip_and_are_unique() {
        for c in CaseCategory::ALL {
            assert_eq!(CaseCategory::from_code(c.code()), Some(*c));
            assert_eq!(CaseCategory::from_index(c.index()), Some(*c));
            let json = serde_json::to_string(c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.code()));
        }
        let mut codes: Vec<_> = ZoneKind::ALL.iter().map(|z| z.code()).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), 15);
        assert_eq!(CaseStatus::from_code("nope"), None);
    }

    #[test]
    fn every_domain_has_zone_kinds() {
        for d in RiskDomain::ALL {
            assert!(ZoneKind::ALL.iter().any(|z| z.domain() == *d), "{d:?}");
        }
    }

    #[test]
    fn phone_and_name_masking() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("0755-2777"), "07*****77");
        assert_eq!(mask_phone("123"), "***");
        // Masked at the source, then shown by the app: the same text.
        let once = mask_phone("13812345678");
        assert_eq!(mask_phone(&once), once);
        assert_eq!(mask_name(&mask_name("欧阳娜娜")), mask_name("欧阳娜娜"));
        assert_eq!(mask_name("张伟"), "张*");
        assert_eq!(mask_name("欧阳娜娜"), "欧***");
        assert_eq!(mask_name(""), "");
    }

    #[test]
    fn labels_in_both_languages() {
        assert_eq!(Department::Judicial.label(Lang::Zh), "司法所");
        assert_eq!(Department::Judicial.label(Lang::En), "Judicial office");
        assert_eq!(Lang::from_code("en"), Some(Lang::En));
    }
}
