//! PLACEHOLDER (being written): History::plot (PNG/SVG loss and metric curves).
