//! The enrolment form: server address, one-time code, device name, and the
//! PIN (typed twice) that will open the device's data.

use odnowa_shared::api::EnrolRequest;

use crate::model::errors::FormError;

/// The enrolment form as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EnrolForm {
    pub server: String,
    pub code: String,
    pub device_name: String,
    pub pin: String,
    pub pin_repeat: String,
}

/// The shortest and longest PIN, as the engine's vault accepts them.
pub const PIN_CHARS: std::ops::RangeInclusive<usize> = 6..=64;

/// Refuses a PIN the device would refuse.
pub fn check_pin(pin: &str) -> Result<(), FormError> {
    if PIN_CHARS.contains(&pin.chars().count()) && pin.trim() == pin {
        Ok(())
    } else {
        Err(FormError::PinTooShort)
    }
}

impl EnrolForm {
    /// The request, or what to fix. An empty device name becomes
    /// `default_name`; the code is sent as typed (trimmed), since the server
    /// forgives case, spaces and dashes.
    pub fn to_request(&self, default_name: &str) -> Result<EnrolRequest, FormError> {
        let server = normalise_server(&self.server).ok_or(FormError::ServerRequired)?;
        let code = self.code.trim();
        if code.is_empty() {
            return Err(FormError::CodeRequired);
        }
        let device_name = match self.device_name.trim() {
            "" => default_name.to_string(),
            name => name.to_string(),
        };
        check_pin(&self.pin)?;
        if self.pin != self.pin_repeat {
            return Err(FormError::PinMismatch);
        }
        Ok(EnrolRequest {
            server,
            code: code.to_string(),
            device_name,
            pin: self.pin.clone(),
        })
    }
}

/// A server address as typed, made into a URL: spaces trimmed, a trailing
/// slash dropped, `https://` added when no scheme is given. `None` when
/// nothing usable is left.
pub fn normalise_server(typed: &str) -> Option<String> {
    let trimmed = typed.trim();
    if trimmed.contains(char::is_whitespace) {
        return None;
    }
    let (scheme, rest) = match trimmed.split_once("://") {
        Some((scheme, rest))
            if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") =>
        {
            (scheme, rest)
        }
        _ => ("https", trimmed),
    };
    let rest = rest.trim_end_matches('/');
    (!rest.is_empty()).then(|| format!("{scheme}://{rest}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_addresses() {
        for (typed, expect) in [
            ("odnowa.example.org", Some("https://odnowa.example.org")),
            (" http://127.0.0.1:8080/ ", Some("http://127.0.0.1:8080")),
            ("HTTPS://Sync.Example", Some("HTTPS://Sync.Example")),
            ("https://", None),
            ("", None),
            ("a b", None),
        ] {
            assert_eq!(normalise_server(typed).as_deref(), expect, "{typed:?}");
        }
    }

    #[test]
    fn requests_need_a_server_and_a_code() {
        let mut form = EnrolForm::default();
        assert_eq!(form.to_request("Telefon"), Err(FormError::ServerRequired));
        form.server = "sync.example".into();
        assert_eq!(form.to_request("Telefon"), Err(FormError::CodeRequired));
        form.code = " abcde-fghjk ".into();
        assert_eq!(form.to_request("Telefon"), Err(FormError::PinTooShort));
        form.pin = "12345".into();
        assert_eq!(form.to_request("Telefon"), Err(FormError::PinTooShort));
        form.pin = "123456".into();
        assert_eq!(form.to_request("Telefon"), Err(FormError::PinMismatch));
        form.pin_repeat = "123456".into();
        let request = form.to_request("Telefon").expect("valid");
        assert_eq!(request.code, "abcde-fghjk");
        assert_eq!(request.device_name, "Telefon");
        assert_eq!(request.pin, "123456");
        form.device_name = "Telefon Marty".into();
        assert_eq!(
            form.to_request("Telefon").map(|r| r.device_name),
            Ok("Telefon Marty".to_string())
        );
    }
}
