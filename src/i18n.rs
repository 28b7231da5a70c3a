//! Interface strings in Simplified Chinese (default) and English.

use pingan_model::domain::Lang;

pub fn t(lang: Lang, key: &str) -> &'static str {
    let (zh, en) = match key {
        "title" => ("平安宝安 · 平安地图", "Safe Bao'an · Ping'an Map"),
        "layers" => ("图层", "Layers"),
        "loading" => ("正在加载图层", "Loading layers"),
        "lang" => ("English", "中文"),
        "zoom_in" => ("放大", "Zoom in"),
        "zoom_out" => ("缩小", "Zoom out"),
        "fit" => ("全区", "Whole district"),
        "close" => ("关闭", "Close"),
        "failed" => ("加载失败", "Failed"),
        "without_geometry" => (
            "个要素无几何，未绘制",
            "features without geometry, not drawn",
        ),
        "pending" => ("加载中…", "Loading…"),
        "bin_hint" => ("点击放大查看", "click to zoom in"),
        "url_problem" => ("链接参数有误", "Ignored URL parameter"),
        "live" => ("实时", "Live"),
        "connecting" => ("连接中…", "Connecting…"),
        "static" => ("静态数据 · 无实时更新", "Static data · no live updates"),
        "alerts" => ("告警", "Alerts"),
        "active" => ("条未解除", "active"),
        "no_alerts" => ("暂无告警", "No alerts"),
        "alarm" => ("报警", "Alarm"),
        "warn" => ("预警", "Warning"),
        "cleared" => ("已解除", "Cleared"),
        "case_list" => ("事件", "Cases"),
        "overdue" => ("超期", "overdue"),
        "f_open" => ("未办结", "Open"),
        "f_overdue" => ("已超期", "Overdue"),
        "f_all" => ("全部状态", "All statuses"),
        "all_categories" => ("全部类别", "All categories"),
        "all_subdistricts" => ("全部街道", "All subdistricts"),
        _ => ("?", "?"),
    };
    lang.pick(zh, en)
}
