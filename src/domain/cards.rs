//! Card ids as SPEC.md spells them: the UID in hex (any case, stored
//! uppercase), or the decimal number printed on EM4100 cards with a `#`
//! in front, which names the card's last 4 bytes.

/// Normalizes a card id from a file, a reader or a person.
pub fn normalize(text: &str) -> Result<String, String> {
    let t = text.trim();
    if let Some(dec) = t.strip_prefix('#') {
        let n: u64 = dec
            .parse()
            .map_err(|_| format!("bad card number {t:?}: after # only the decimal digits printed on the card"))?;
        let n = u32::try_from(n).map_err(|_| format!("card number {t:?} is over 4 bytes (4294967295)"))?;
        return Ok(format!("#{n:010}"));
    }
    if t.len() < 4 || t.len() > 32 || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "bad card id {t:?}: expected the UID in hex (EM4100: 10 digits, Mifare: 8 or 14), \
             or the printed decimal number with a # in front"
        ));
    }
    Ok(t.to_ascii_uppercase())
}

/// The key a card is matched by: an EM4100 UID (10 hex digits) and a
/// printed number match when the UID's last 4 bytes are that number; every
/// other id matches itself.
pub fn match_key(card: &str) -> std::borrow::Cow<'_, str> {
    if card.len() == 10 && card.bytes().all(|b| b.is_ascii_hexdigit()) {
        if let Ok(n) = u32::from_str_radix(&card[2..], 16) {
            return std::borrow::Cow::Owned(format!("#{n:010}"));
        }
    }
    std::borrow::Cow::Borrowed(card)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_and_printed_number_match() {
        assert_eq!(normalize(" 0100abcdef ").unwrap(), "0100ABCDEF");
        assert_eq!(normalize("#0011259375").unwrap(), "#0011259375");
        assert_eq!(normalize("#11259375").unwrap(), "#0011259375");
        assert_eq!(match_key("0100ABCDEF"), match_key("#0011259375"));
        assert_eq!(match_key("04A1B2C3"), "04A1B2C3");
        assert!(normalize("#12x").is_err());
        assert!(normalize("#99999999999").is_err());
        assert!(normalize("GHIJKL").is_err());
        assert!(normalize("").is_err());
    }
}
