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

type Named = (&'static str, &'static str);

/// Arteries that cross several subdistricts.
pub const ARTERIES: &[Named] = &[
    ("宝安大道", "Bao'an Avenue"),
    ("广深公路", "Guangshen Highway"),
];

/// Roads per subdistrict (Chinese, English).
pub const ROADS: &[(&str, &[Named])] = &[
    (
        "新安街道",
        &[
            ("创业一路", "Chuangye 1st Road"),
            ("创业二路", "Chuangye 2nd Road"),
            ("新湖路", "Xinhu Road"),
            ("建安一路", "Jian'an 1st Road"),
            ("前进一路", "Qianjin 1st Road"),
            ("新安六路", "Xin'an 6th Road"),
            ("裕安路", "Yu'an Road"),
            ("海秀路", "Haixiu Road"),
        ],
    ),
    (
        "西乡街道",
        &[
            ("西乡大道", "Xixiang Avenue"),
            ("前进二路", "Qianjin 2nd Road"),
            ("南昌路", "Nanchang Road"),
            ("固戍一路", "Gushu 1st Road"),
            ("共乐路", "Gongle Road"),
            ("流塘路", "Liutang Road"),
            ("盐田路", "Yantian Road"),
        ],
    ),
    (
        "航城街道",
        &[
            ("航城大道", "Hangcheng Avenue"),
            ("鹤洲路", "Hezhou Road"),
            ("黄田路", "Huangtian Road"),
            ("洲石路", "Zhoushi Road"),
            ("九围路", "Jiuwei Road"),
            ("兴华路", "Xinghua Road"),
            ("机场大道", "Airport Avenue"),
        ],
    ),
    (
        "福永街道",
        &[
            ("福永大道", "Fuyong Avenue"),
            ("凤塘大道", "Fengtang Avenue"),
            ("怀德路", "Huaide Road"),
            ("福洲大道", "Fuzhou Avenue"),
            ("兴围路", "Xingwei Road"),
            ("白石厦路", "Baishixia Road"),
        ],
    ),
    (
        "福海街道",
        &[
            ("福海大道", "Fuhai Avenue"),
            ("桥和路", "Qiaohe Road"),
            ("和平路", "Heping Road"),
            ("塘尾路", "Tangwei Road"),
            ("展景路", "Zhanjing Road"),
            ("新田大道", "Xintian Avenue"),
        ],
    ),
    (
        "沙井街道",
        &[
            ("沙井路", "Shajing Road"),
            ("新沙路", "Xinsha Road"),
            ("沙井大街", "Shajing Street"),
            ("北环路", "Beihuan Road"),
            ("衙边路", "Yabian Road"),
            ("民主大道", "Minzhu Avenue"),
            ("环镇路", "Huanzhen Road"),
        ],
    ),
    (
        "新桥街道",
        &[
            ("新玉路", "Xinyu Road"),
            ("上星路", "Shangxing Road"),
            ("中心路", "Zhongxin Road"),
            ("上寮路", "Shangliao Road"),
            ("万丰路", "Wanfeng Road"),
            ("黄埔路", "Huangpu Road"),
        ],
    ),
    (
        "松岗街道",
        &[
            ("松白路", "Songbai Road"),
            ("松福大道", "Songfu Avenue"),
            ("楼岗大道", "Lougang Avenue"),
            ("东方大道", "Dongfang Avenue"),
            ("潭头路", "Tantou Road"),
            ("沙浦路", "Shapu Road"),
        ],
    ),
    (
        "燕罗街道",
        &[
            ("燕罗路", "Yanluo Road"),
            ("罗田路", "Luotian Road"),
            ("燕川路", "Yanchuan Road"),
            ("山门路", "Shanmen Road"),
            ("广田路", "Guangtian Road"),
        ],
    ),
    (
        "石岩街道",
        &[
            ("石龙大道", "Shilong Avenue"),
            ("宝石路", "Baoshi Road"),
            ("塘头大道", "Tangtou Avenue"),
            ("浪心路", "Langxin Road"),
            ("龙腾路", "Longteng Road"),
            ("石环路", "Shihuan Road"),
            ("应人石路", "Yingrenshi Road"),
        ],
    ),
];

/// Rivers per subdistrict (Chinese, English).
pub const RIVERS: &[(&str, &[Named])] = &[
    (
        "新安街道",
        &[("新圳河", "Xinzhen River"), ("西乡河", "Xixiang River")],
    ),
    (
        "西乡街道",
        &[
            ("西乡河", "Xixiang River"),
            ("铁岗水", "Tiegang Stream"),
            ("新圳河", "Xinzhen River"),
        ],
    ),
    (
        "航城街道",
        &[
            ("九围河", "Jiuwei River"),
            ("钟屋排洪渠", "Zhongwu Flood Channel"),
        ],
    ),
    (
        "福永街道",
        &[("福永河", "Fuyong River"), ("凤塘河", "Fengtang River")],
    ),
    (
        "福海街道",
        &[("塘尾涌", "Tangwei Creek"), ("和二涌", "He'er Creek")],
    ),
    (
        "沙井街道",
        &[
            ("沙井河", "Shajing River"),
            ("衙边涌", "Yabian Creek"),
            ("排涝河", "Drainage River"),
        ],
    ),
    (
        "新桥街道",
        &[
            ("新桥河", "Xinqiao River"),
            ("上寮河", "Shangliao River"),
            ("万丰河", "Wanfeng River"),
        ],
    ),
    (
        "松岗街道",
        &[
            ("松岗河", "Songgang River"),
            ("潭头河", "Tantou River"),
            ("茅洲河", "Maozhou River"),
        ],
    ),
    (
        "燕罗街道",
        &[
            ("茅洲河", "Maozhou River"),
            ("罗田水", "Luotian Stream"),
            ("龟岭东水", "Guilingdong Stream"),
        ],
    ),
    (
        "石岩街道",
        &[
            ("石岩河", "Shiyan River"),
            ("王家庄河", "Wangjiazhuang River"),
            ("应人石河", "Yingrenshi River"),
        ],
    ),
];

fn lookup(table: &'static [(&'static str, &'static [Named])], sub: &str) -> &'static [Named] {
    table
        .iter()
        .find(|(s, _)| *s == sub)
        .map(|(_, l)| *l)
        .unwrap_or(ARTERIES)
}

/// A road of the subdistrict (now and then a cross-district artery).
pub fn road(rng: &mut impl Rng, sub: &str) -> Named {
    let list = if rng.random_bool(0.2) {
        ARTERIES
    } else {
        lookup(ROADS, sub)
    };
    *list.choose(rng).unwrap_or(&ARTERIES[0])
}

/// Two different roads of the subdistrict (for a junction).
pub fn two_roads(rng: &mut impl Rng, sub: &str) -> (Named, Named) {
    let list = lookup(ROADS, sub);
    let a = rng.random_range(0..list.len());
    let b = (a + rng.random_range(1..list.len().max(2))) % list.len();
    let second = if a == b { ARTERIES[0] } else { list[b] };
    (list[a], second)
}

/// The `k`-th river of the subdistrict (cycling).
pub fn river(sub: &str, k: usize) -> Named {
    let l = lookup(RIVERS, sub);
    l[k % l.len()]
}

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
