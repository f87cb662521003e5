//! The worker's display settings: larger text and the high-contrast theme.
//! They are kept on the device (not in records) and set on `<html>` as
//! `data-text` and `data-theme`, which the style sheet reads.

/// What the worker chose on the device screen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Display {
    /// Every text a quarter larger (the whole layout scales with it).
    pub large_text: bool,
    /// Black on white, black control edges, a darker green.
    pub contrast: bool,
}

impl Display {
    /// How the settings are remembered: `"large,contrast"`, either part
    /// left out when off.
    pub fn code(self) -> String {
        let mut parts = Vec::new();
        if self.large_text {
            parts.push("large");
        }
        if self.contrast {
            parts.push("contrast");
        }
        parts.join(",")
    }

    /// The settings from [`Display::code`]; unknown parts are ignored.
    pub fn from_code(code: &str) -> Display {
        let parts: Vec<&str> = code.split(',').map(str::trim).collect();
        Display {
            large_text: parts.contains(&"large"),
            contrast: parts.contains(&"contrast"),
        }
    }

    /// The value of `<html data-text>`.
    pub fn text_attr(self) -> &'static str {
        if self.large_text { "large" } else { "normal" }
    }

    /// The value of `<html data-theme>`.
    pub fn theme_attr(self) -> &'static str {
        if self.contrast { "contrast" } else { "normal" }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for large_text in [false, true] {
            for contrast in [false, true] {
                let display = Display {
                    large_text,
                    contrast,
                };
                assert_eq!(Display::from_code(&display.code()), display);
            }
        }
        assert_eq!(
            Display::from_code("bogus, contrast"),
            Display {
                large_text: false,
                contrast: true
            }
        );
        assert_eq!(Display::from_code(""), Display::default());
    }
}
