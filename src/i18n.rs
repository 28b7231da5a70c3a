//! Interface strings in Simplified Chinese (default) and English, and
//! [`tr`], such a string in a view that follows the language switch.

use leptos::prelude::{Get, RwSignal};
use pingan_model::domain::Lang;

/// The text of `key` in the page's language `lang`, as a view's text that
/// follows the switch (one closure type for every such text: one copy of
/// the reactive text's code in the wasm).
pub fn tr(
    lang: RwSignal<Lang>,
    key: &'static str,
) -> impl Fn() -> &'static str + Copy + Send + Sync {
    move || t(lang.get(), key)
}

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
        "sign_in" => ("登录", "Sign in"),
        "sign_in_title" => ("登录平安地图", "Sign in to Ping'an Map"),
        "session_lost" => (
            "登录已失效，请重新登录（地图保持不变）",
            "Your session has ended: sign in again (the map stays as it is)",
        ),
        "username" => ("用户名", "Username"),
        "password" => ("密码", "Password"),
        "signing_in" => ("正在登录…", "Signing in…"),
        "checking" => ("正在验证登录…", "Checking your session…"),
        "sign_out" => ("退出", "Sign out"),
        "fill_in" => ("请输入用户名和密码", "Enter your username and password"),
        "actions" => ("操作", "Actions"),
        "move_to" => ("流转至", "Move to"),
        "ack" => ("确认告警", "Acknowledge alert"),
        "acked" => ("告警已确认", "Alert acknowledged"),
        "note" => ("备注（可选）", "Note (optional)"),
        "sent" => (
            "已提交，等待实时更新…",
            "Sent; waiting for the live update…",
        ),
        "show_contacts" => ("显示联系方式", "Show contacts"),
        "hide_contacts" => ("隐藏联系方式", "Hide contacts"),
        "masked" => ("联系方式已脱敏", "Contacts are masked"),
        "no_contacts" => ("无联系人", "No contacts"),
        "forbidden" => ("无权限", "Not permitted"),
        "wall_device" => ("大屏设备", "Wall device"),
        _ => ("?", "?"),
    };
    lang.pick(zh, en)
}
