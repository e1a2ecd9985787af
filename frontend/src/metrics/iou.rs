//! PLACEHOLDER (being written): Keras's `iou_metrics.py: IoU, BinaryIoU, MeanIoU, OneHotIoU, OneHotMeanIoU`.

use serde_json::{Map, Value};

use super::Metric;
use crate::error::{Error, Result};

/// The classes of this file.
pub(crate) const CLASSES: &[&str] = &[];

pub(crate) fn from_config(class_name: &str, _config: &Map<String, Value>) -> Result<Box<dyn Metric>> {
    Err(Error::arg("metrics.get", format!("unknown metric class {class_name:?}")))
}
