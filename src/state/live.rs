//! The live client's state as the panels show it (`LiveUi`: the connection,
//! the alert ticker, the case list and its filter). The live client
//! (`crate::live`) writes it; the panels read it.

use leptos::prelude::*;
use pingan_model::cases::CaseRecord;
use pingan_model::domain::CaseCategory;
use pingan_model::live::Alert;

/// The connection as the status bar shows it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Conn {
    /// Layers still loading; no connection attempted yet.
    Idle,
    Connecting,
    Live,
    /// Disconnected; the next attempt at this `Date.now()` (ms).
    Offline {
        retry_at: f64,
    },
    /// No live API (static hosting): the case file from data/, no stream.
    Static,
}

impl Conn {
    pub fn code(self) -> &'static str {
        match self {
            Conn::Idle | Conn::Connecting => "connecting",
            Conn::Live => "live",
            Conn::Offline { .. } => "offline",
            Conn::Static => "static",
        }
    }
}

/// Which cases the list shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum StatusFilter {
    #[default]
    Open,
    Overdue,
    All,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct CaseFilter {
    pub status: StatusFilter,
    pub category: Option<CaseCategory>,
    /// Subdistrict name (Chinese, as in the data).
    pub subdistrict: Option<String>,
}

/// One row of the case list (key = position in the case layer).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CaseRow {
    pub key: u32,
    pub rec: CaseRecord,
    /// Arrived over the stream in this session (highlighted).
    pub fresh: bool,
}

/// The live state the panels show; Copy handles.
#[derive(Clone, Copy)]
pub struct LiveUi {
    pub conn: RwSignal<Conn>,
    pub alerts: RwSignal<Vec<Alert>>,
    pub rows: RwSignal<Vec<CaseRow>>,
    /// How many cases match the filter (the list shows the newest `LIST_LEN`).
    pub matched: RwSignal<u32>,
    pub filter: RwSignal<CaseFilter>,
    /// Bumped once per applied batch (the details panel follows it).
    pub rev: RwSignal<u64>,
}

impl LiveUi {
    pub fn new() -> LiveUi {
        LiveUi {
            conn: RwSignal::new(Conn::Idle),
            alerts: RwSignal::new(Vec::new()),
            rows: RwSignal::new(Vec::new()),
            matched: RwSignal::new(0),
            filter: RwSignal::new(CaseFilter::default()),
            rev: RwSignal::new(0),
        }
    }
}
