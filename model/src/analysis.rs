//! Analysis: choropleth classes for the grid map.
//! (Green-coverage analysis is added by the data generator's work.)

/// Class breaks for a choropleth: `n` classes by quantiles of `values`,
/// returned as the `n - 1` upper bounds of all but the last class, strictly
/// increasing (duplicate quantiles are merged, so fewer may come back).
pub fn quantile_breaks(values: &[f64], n: usize) -> Vec<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() || n < 2 {
        return Vec::new();
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let mut out: Vec<f64> = Vec::with_capacity(n - 1);
    for i in 1..n {
        let q = v[(i * v.len() / n).min(v.len() - 1)];
        if out.last().is_none_or(|&last| q > last) && q < v[v.len() - 1] {
            out.push(q);
        }
    }
    out
}

/// The class (0-based) a value falls in, given upper bounds from
/// [`quantile_breaks`]: class i holds values `< breaks[i]`.
pub fn class_of(value: f64, breaks: &[f64]) -> usize {
    breaks.iter().position(|&b| value < b).unwrap_or(breaks.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_classes_are_balanced() {
        let v: Vec<f64> = (0..1000).map(|i| i as f64).collect();
        let b = quantile_breaks(&v, 5);
        assert_eq!(b, vec![200.0, 400.0, 600.0, 800.0]);
        let mut counts = [0; 5];
        for x in &v {
            counts[class_of(*x, &b)] += 1;
        }
        assert_eq!(counts, [200; 5]);
    }

    #[test]
    fn degenerate_inputs() {
        assert!(quantile_breaks(&[], 5).is_empty());
        assert!(quantile_breaks(&[3.0; 10], 5).is_empty());
        assert_eq!(class_of(3.0, &[]), 0);
        let skewed = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 5.0, 9.0];
        let b = quantile_breaks(&skewed, 5);
        assert!(b.windows(2).all(|w| w[0] < w[1]), "{b:?}");
    }
}
