//! Case descriptions the simulator picks from, per category (a third of
//! reports carry a rule keyword, e.g. 家庭纠纷).

use pingan_model::domain::CaseCategory;

pub const TEXTS: &[(CaseCategory, &[&str])] = &[
    (
        CaseCategory::Dispute,
        &[
            "邻里因噪音发生争执",
            "居民之间因停车位发生矛盾",
            "邻里漏水纠纷，需协调",
        ],
    ),
    (
        CaseCategory::SafetyHazard,
        &[
            "楼道堆放杂物，存在安全隐患",
            "围墙出现裂缝，有倒塌风险",
            "井盖缺失，行人易跌落",
        ],
    ),
    (
        CaseCategory::PublicOrder,
        &[
            "夜间有人聚集喧哗",
            "发现可疑人员徘徊",
            "商铺门前有人寻衅滋事",
        ],
    ),
    (
        CaseCategory::FireSafety,
        &[
            "消防通道被车辆占用",
            "灭火器过期未更换",
            "电动车在楼道内充电",
        ],
    ),
    (
        CaseCategory::CityAppearance,
        &["路边垃圾堆积未清运", "占道经营影响通行", "乱张贴小广告"],
    ),
    (
        CaseCategory::IllegalConstruction,
        &["楼顶加建铁皮房", "私自改变房屋结构", "违规搭建围挡"],
    ),
    (
        CaseCategory::Pollution,
        &["工厂排放异味", "河道出现油污", "夜间施工噪音扰民"],
    ),
    (
        CaseCategory::LabourDispute,
        &[
            "工人反映被拖欠工资",
            "员工与企业因加班费争议",
            "工地务工人员讨薪",
        ],
    ),
    (
        CaseCategory::FoodDrug,
        &["无证食品摊点经营", "餐馆卫生条件差", "药店销售过期药品"],
    ),
    (
        CaseCategory::TrafficSafety,
        &["路口信号灯故障", "道路坑洼影响行车", "学校门口车辆乱停"],
    ),
    (
        CaseCategory::RentalHousing,
        &[
            "出租屋未登记租客信息",
            "群租房人员过多",
            "出租屋消防设施缺失",
        ],
    ),
    (
        CaseCategory::SpecialGroups,
        &[
            "独居老人需要走访关怀",
            "社区矫正对象未按时报到",
            "困难家庭申请帮扶",
        ],
    ),
    (
        CaseCategory::PublicFacilities,
        &["路灯不亮", "健身器材损坏", "公共厕所设施损坏"],
    ),
];
