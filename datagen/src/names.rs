//! Name material: community names, people, phones, roads, enterprises,
//! estates. Community names of 石岩 and 新安 come from
//! `communities_partial.csv`; the others are plausible local names.

use rand::seq::IndexedRandom;
use rand::Rng;

/// Communities of the subdistricts not covered by the CSV: (subdistrict,
/// [(name without 社区, romanization)]).
pub const OTHER_COMMUNITIES: &[(&str, &[(&str, &str)])] = &[
    (
        "西乡街道",
        &[
            ("西乡", "Xixiang"),
            ("固戍", "Gushu"),
            ("盐田", "Yantian"),
            ("臣田", "Chentian"),
            ("河西", "Hexi"),
            ("河东", "Hedong"),
            ("共乐", "Gongle"),
            ("永丰", "Yongfeng"),
            ("南昌", "Nanchang"),
            ("簕竹角", "Lezhujiao"),
            ("流塘", "Liutang"),
            ("渔业", "Yuye"),
            ("铁岗", "Tiegang"),
            ("桃源", "Taoyuan"),
            ("劳动", "Laodong"),
            ("麻布", "Mabu"),
            ("乐群", "Lequn"),
            ("咸田", "Xiantian"),
            ("凤凰岗", "Fenghuanggang"),
        ],
    ),
    (
        "航城街道",
        &[
            ("黄田", "Huangtian"),
            ("钟屋", "Zhongwu"),
            ("三围", "Sanwei"),
            ("鹤洲", "Hezhou"),
            ("九围", "Jiuwei"),
            ("黄麻布", "Huangmabu"),
            ("后瑞", "Hourui"),
            ("草围", "Caowei"),
            ("洲石", "Zhoushi"),
            ("利锦", "Lijin"),
            ("恒丰", "Hengfeng"),
        ],
    ),
    (
        "福永街道",
        &[
            ("福永", "Fuyong"),
            ("凤凰", "Fenghuang"),
            ("白石厦", "Baishixia"),
            ("聚福", "Jufu"),
            ("兴围", "Xingwei"),
            ("福围", "Fuwei"),
            ("怀德", "Huaide"),
            ("政丰", "Zhengfeng"),
            ("德丰", "Defeng"),
            ("万福", "Wanfu"),
        ],
    ),
    (
        "福海街道",
        &[
            ("新和", "Xinhe"),
            ("新田", "Xintian"),
            ("桥头", "Qiaotou"),
            ("和平", "Heping"),
            ("塘尾", "Tangwei"),
            ("稔田", "Rentian"),
            ("展景", "Zhanjing"),
            ("大洋", "Dayang"),
        ],
    ),
    (
        "沙井街道",
        &[
            ("沙井", "Shajing"),
            ("沙头", "Shatou"),
            ("沙一", "Shayi"),
            ("沙二", "Sha'er"),
            ("沙四", "Shasi"),
            ("后亭", "Houting"),
            ("衙边", "Yabian"),
            ("壆岗", "Xuegang"),
            ("共和", "Gonghe"),
            ("蚝一", "Haoyi"),
            ("蚝三", "Haosan"),
            ("蚝四", "Haosi"),
            ("东塘", "Dongtang"),
            ("步涌", "Buchong"),
            ("民主", "Minzhu"),
        ],
    ),
    (
        "新桥街道",
        &[
            ("新桥", "Xinqiao"),
            ("上星", "Shangxing"),
            ("上寮", "Shangliao"),
            ("黄埔", "Huangpu"),
            ("象山", "Xiangshan"),
            ("新二", "Xin'er"),
            ("沙企", "Shaqi"),
            ("万丰", "Wanfeng"),
            ("新发", "Xinfa"),
        ],
    ),
    (
        "松岗街道",
        &[
            ("松岗", "Songgang"),
            ("东方", "Dongfang"),
            ("楼岗", "Lougang"),
            ("红星", "Hongxing"),
            ("潭头", "Tantou"),
            ("碧头", "Bitou"),
            ("沙浦", "Shapu"),
            ("溪头", "Xitou"),
            ("江边", "Jiangbian"),
            ("花果山", "Huaguoshan"),
            ("朗下", "Langxia"),
            ("沙浦围", "Shapuwei"),
        ],
    ),
    (
        "燕罗街道",
        &[
            ("燕川", "Yanchuan"),
            ("罗田", "Luotian"),
            ("山门", "Shanmen"),
            ("塘下涌", "Tangxiachong"),
            ("广田", "Guangtian"),
            ("洪桥头", "Hongqiaotou"),
            ("燕湖", "Yanhu"),
            ("罗溪", "Luoxi"),
        ],
    ),
];

/// Romanization of the community names listed in communities_partial.csv.
pub const CSV_PINYIN: &[(&str, &str)] = &[
    ("官田", "Guantian"),
    ("浪心", "Langxin"),
    ("罗租", "Luozu"),
    ("上屋", "Shangwu"),
    ("水田", "Shuitian"),
    ("塘头", "Tangtou"),
    ("应人石", "Yingrenshi"),
    ("石龙", "Shilong"),
    ("石岩龙腾", "Shiyan Longteng"),
    ("宝源", "Baoyuan"),
    ("安乐", "Anle"),
    ("宝民", "Baomin"),
    ("布心", "Buxin"),
    ("大浪", "Dalang"),
    ("翻身", "Fanshen"),
    ("海富", "Haifu"),
    ("海华", "Haihua"),
    ("海乐", "Haile"),
    ("海旺", "Haiwang"),
    ("海裕", "Haiyu"),
    ("洪浪", "Honglang"),
    ("甲岸", "Jia'an"),
    ("建安", "Jian'an"),
    ("灵芝园", "Lingzhiyuan"),
    ("龙井", "Longjing"),
    ("上川", "Shangchuan"),
    ("上合", "Shanghe"),
    ("文汇", "Wenhui"),
    ("文雅", "Wenya"),
    ("新安湖", "Xin'anhu"),
    ("新乐", "Xinle"),
    ("兴东", "Xingdong"),
];

pub fn csv_pinyin(base: &str) -> Option<&'static str> {
    CSV_PINYIN.iter().find(|(z, _)| *z == base).map(|(_, e)| *e)
}

const SURNAMES: &[&str] = &[
    "陈", "李", "张", "王", "刘", "黄", "林", "杨", "吴", "周", "徐", "郑", "谢", "何", "罗", "梁",
    "曾", "邓", "叶", "钟", "赖", "蔡", "卢", "许", "彭", "冯", "廖", "朱", "胡", "郭", "文", "潘",
    "袁", "邱", "江", "方", "苏", "蒋", "余", "肖", "唐", "田", "丁", "范", "宋", "韦", "覃", "易",
    "温", "莫", "欧阳", "孙", "马", "高", "侯", "严", "戴", "汤", "熊", "麦",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "桂", "英", "华", "建", "国", "文", "辉", "玲", "红", "志", "斌",
    "燕", "鹏", "宇", "浩", "婷", "欣", "晨", "俊", "佳", "雪", "琳", "慧", "峰", "海", "亮", "梅",
    "兰", "凤", "嘉", "振", "永", "德", "荣", "思", "雨", "子", "家", "立",
];
const MOBILE_PREFIXES: &[&str] = &[
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152",
    "153", "155", "156", "157", "158", "159", "166", "176", "177", "178", "180", "181", "182",
    "183", "185", "186", "187", "188", "189", "191", "198", "199",
];

/// A plausible Chinese full name.
pub fn person(rng: &mut impl Rng) -> String {
    let mut s = String::from(*SURNAMES.choose(rng).unwrap_or(&"陈"));
    let n = if rng.random_bool(0.7) { 2 } else { 1 };
    for _ in 0..n {
        s.push_str(GIVEN.choose(rng).unwrap_or(&"明"));
    }
    s
}

/// An 11-digit mainland mobile number.
pub fn mobile(rng: &mut impl Rng) -> String {
    format!(
        "{}{:08}",
        MOBILE_PREFIXES.choose(rng).unwrap_or(&"138"),
        rng.random_range(0..100_000_000u32)
    )
}

/// Main roads of Bao'an (Chinese, English).
pub const ROADS: &[(&str, &str)] = &[
    ("宝安大道", "Bao'an Avenue"),
    ("广深公路", "Guangshen Highway"),
    ("创业一路", "Chuangye 1st Road"),
    ("创业二路", "Chuangye 2nd Road"),
    ("新湖路", "Xinhu Road"),
    ("建安一路", "Jian'an 1st Road"),
    ("前进一路", "Qianjin 1st Road"),
    ("前进二路", "Qianjin 2nd Road"),
    ("新安六路", "Xin'an 6th Road"),
    ("西乡大道", "Xixiang Avenue"),
    ("航城大道", "Hangcheng Avenue"),
    ("宝源路", "Baoyuan Road"),
    ("福永大道", "Fuyong Avenue"),
    ("凤塘大道", "Fengtang Avenue"),
    ("怀德路", "Huaide Road"),
    ("福海大道", "Fuhai Avenue"),
    ("沙井路", "Shajing Road"),
    ("新沙路", "Xinsha Road"),
    ("沙井大街", "Shajing Street"),
    ("北环路", "Beihuan Road"),
    ("松白路", "Songbai Road"),
    ("松福大道", "Songfu Avenue"),
    ("燕罗路", "Yanluo Road"),
    ("罗田路", "Luotian Road"),
    ("石龙大道", "Shilong Avenue"),
    ("洲石路", "Zhoushi Road"),
    ("宝石路", "Baoshi Road"),
    ("塘头大道", "Tangtou Avenue"),
    ("海城路", "Haicheng Road"),
    ("南昌路", "Nanchang Road"),
    ("固戍一路", "Gushu 1st Road"),
    ("兴华路", "Xinghua Road"),
    ("新城大道", "Xincheng Avenue"),
    ("裕安路", "Yu'an Road"),
    ("留仙大道", "Liuxian Avenue"),
    ("新玉路", "Xinyu Road"),
    ("桥和路", "Qiaohe Road"),
    ("环镇路", "Huanzhen Road"),
    ("民主大道", "Minzhu Avenue"),
    ("上星路", "Shangxing Road"),
];

const BRAND: &[&str] = &[
    "宏达",
    "鑫源",
    "华盛",
    "永利",
    "恒通",
    "金凯",
    "兴旺",
    "荣昌",
    "嘉信",
    "联创",
    "新科",
    "正和",
    "天宝",
    "美达",
    "佳能达",
    "瑞丰",
    "汇丰源",
    "德昌",
    "力拓",
    "顺发",
    "利民",
    "精工",
    "华美",
    "富源",
    "长盛",
    "宝隆",
    "盛世",
    "东升",
    "金泰",
    "锦华",
    "万通",
    "海星",
    "中航",
    "伟业",
    "安达",
    "创维新",
    "凯旋",
    "合盛",
    "迅达",
    "博远",
];

/// The business an owner is in, picked per hazard type.
#[derive(Clone, Copy, Debug)]
pub enum Trade {
    Factory,
    Chemical,
    Builder,
    Shop,
    Landlord,
    Estate,
    Gas,
    Public,
}

/// An owner: (full name, short name used in the hazard's name).
pub fn owner(rng: &mut impl Rng, trade: Trade, community: &str) -> (String, String) {
    let b = *BRAND.choose(rng).unwrap_or(&"宏达");
    match trade {
        Trade::Factory => {
            let t = *[
                "电子", "五金", "塑胶", "模具", "精密", "包装", "印刷", "家具", "服装", "机电",
            ]
            .choose(rng)
            .unwrap_or(&"五金");
            (format!("深圳市{b}{t}有限公司"), format!("{b}{t}"))
        }
        Trade::Chemical => {
            let t = *["化工", "涂料", "新材料", "油墨", "表面处理"]
                .choose(rng)
                .unwrap_or(&"化工");
            (format!("深圳市{b}{t}有限公司"), format!("{b}{t}"))
        }
        Trade::Builder => {
            let t = *["建设工程", "建筑", "市政工程", "基础工程"]
                .choose(rng)
                .unwrap_or(&"建筑");
            (format!("深圳市{b}{t}有限公司"), format!("{b}{t}工地"))
        }
        Trade::Shop => {
            let t = *[
                "餐馆",
                "便利店",
                "五金店",
                "小旅馆",
                "网吧",
                "理发店",
                "快餐店",
                "维修店",
            ]
            .choose(rng)
            .unwrap_or(&"餐馆");
            let name = format!("{b}{t}");
            (name.clone(), name)
        }
        Trade::Landlord => {
            let p = person(rng);
            (
                format!("{p}（房东）"),
                format!("{community}{}号出租屋", rng.random_range(1..300)),
            )
        }
        Trade::Estate => {
            let e = estate_name(rng);
            (format!("{e}物业服务中心"), e)
        }
        Trade::Gas => {
            let t = *["燃气供应站", "餐饮店", "瓶装气门店"]
                .choose(rng)
                .unwrap_or(&"燃气供应站");
            let name = format!("{b}{t}");
            (name.clone(), name)
        }
        Trade::Public => {
            let t = *["股份合作公司", "居委会"].choose(rng).unwrap_or(&"居委会");
            (format!("{community}{t}"), community.to_string())
        }
    }
}

const ESTATE_HEAD: &[&str] = &[
    "海景", "碧海", "翠湖", "金港", "富华", "名门", "阳光", "锦绣", "华丰", "宝安", "新城", "御景",
    "桃源", "泰华", "中洲", "龙光", "万科", "星河", "壹方", "滨海", "西城", "雍华", "丽景", "骏庭",
    "凤凰", "百合", "荔园", "云峰", "金域", "天悦",
];
const ESTATE_TAIL: &[&str] = &[
    "花园", "苑", "华庭", "名苑", "公馆", "家园", "雅居", "豪庭", "新村", "城",
];

pub fn estate_name(rng: &mut impl Rng) -> String {
    format!(
        "{}{}",
        ESTATE_HEAD.choose(rng).unwrap_or(&"阳光"),
        ESTATE_TAIL.choose(rng).unwrap_or(&"花园")
    )
}

const VILLAGE_PART: &[&str] = &[
    "老村", "新村", "一坊", "二坊", "三坊", "东村", "西村", "南村", "北村", "围仔", "旧村",
];

pub fn village_name(rng: &mut impl Rng, community_base: &str) -> String {
    format!(
        "{community_base}{}",
        VILLAGE_PART.choose(rng).unwrap_or(&"新村")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{rngs::SmallRng, SeedableRng};

    #[test]
    fn community_lists_are_unique_and_complete() {
        let mut all: Vec<&str> = OTHER_COMMUNITIES
            .iter()
            .flat_map(|(_, l)| l.iter().map(|(z, _)| *z))
            .collect();
        all.extend(CSV_PINYIN.iter().map(|(z, _)| *z));
        let n = all.len();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), n, "community names must be unique");
        assert_eq!(n, 124);
    }

    #[test]
    fn phones_have_eleven_digits() {
        let mut rng = SmallRng::seed_from_u64(3);
        for _ in 0..100 {
            let p = mobile(&mut rng);
            assert_eq!(p.len(), 11);
            assert!(p.chars().all(|c| c.is_ascii_digit()));
            let n = person(&mut rng);
            assert!((2..=4).contains(&n.chars().count()));
        }
    }
}
