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
        "pending" => ("加载中…", "Loading…"),
        "bin_hint" => ("点击放大查看", "click to zoom in"),
        "url_problem" => ("链接参数有误", "Ignored URL parameter"),
        _ => ("?", "?"),
    };
    lang.pick(zh, en)
}
