//! App logos: PNG or JPEG, at most 100 KB and 512×512 pixels, recognised by
//! their content (signature and header), never by file name or declared type.
pub const MAX_BYTES: usize = 100 * 1024;
pub const MAX_SIDE: u32 = 512;

/// The image formats a logo may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogoFormat {
    Png,
    Jpeg,
}

impl LogoFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            LogoFormat::Png => "image/png",
            LogoFormat::Jpeg => "image/jpeg",
        }
    }
}

/// A logo that passed every check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Logo {
    pub format: LogoFormat,
    pub width: u32,
    pub height: u32,
    pub bytes: Vec<u8>,
}

/// Why a file is not accepted as a logo, phrased for the developer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LogoError {
    #[error("Choose a file to upload.")]
    Empty,
    #[error("The file is {0} KB; a logo may be at most 100 KB.")]
    TooLarge(usize),
    #[error("The file is not a PNG or JPEG image (whatever its name says).")]
    NotAnImage,
    #[error("The image is {width}×{height} pixels; a logo may be at most 512×512.")]
    TooBig { width: u32, height: u32 },
}

impl LogoError {
    /// A stable code for the problem (carried in a redirect, turned back into words by the page).
    pub fn code(&self) -> &'static str {
        match self {
            LogoError::Empty => "empty",
            LogoError::TooLarge(_) => "too_large",
            LogoError::NotAnImage => "not_image",
            LogoError::TooBig { .. } => "too_big",
        }
    }
}

impl Logo {
    pub fn parse(bytes: Vec<u8>) -> Result<Self, LogoError> {
        if bytes.is_empty() {
            return Err(LogoError::Empty);
        }
        if bytes.len() > MAX_BYTES {
            return Err(LogoError::TooLarge(bytes.len().div_ceil(1024)));
        }
        let (format, width, height) = png_size(&bytes)
            .map(|(w, h)| (LogoFormat::Png, w, h))
            .or_else(|| jpeg_size(&bytes).map(|(w, h)| (LogoFormat::Jpeg, w, h)))
            .ok_or(LogoError::NotAnImage)?;
        if width == 0 || height == 0 {
            return Err(LogoError::NotAnImage);
        }
        if width > MAX_SIDE || height > MAX_SIDE {
            return Err(LogoError::TooBig { width, height });
        }
        Ok(Self {
            format,
            width,
            height,
            bytes,
        })
    }
}

/// Width and height from a PNG's signature and IHDR chunk.
fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    if bytes.len() < 24 || &bytes[..8] != SIGNATURE || &bytes[12..16] != b"IHDR" {
        return None;
    }
    let read = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
    Some((read(16), read(20)))
}

/// Width and height from a JPEG's first start-of-frame segment.
fn jpeg_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.len() < 4 || bytes[0] != 0xFF || bytes[1] != 0xD8 {
        return None;
    }
    let mut at = 2;
    while at + 4 <= bytes.len() {
        if bytes[at] != 0xFF {
            return None;
        }
        let marker = bytes[at + 1];
        if marker == 0xFF {
            at += 1; // fill byte
            continue;
        }
        if marker == 0xD9 || marker == 0xDA {
            return None; // end of image or start of scan before any frame header
        }
        let length = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
        let is_frame = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if is_frame {
            if at + 9 > bytes.len() {
                return None;
            }
            let height = u16::from_be_bytes([bytes[at + 5], bytes[at + 6]]);
            let width = u16::from_be_bytes([bytes[at + 7], bytes[at + 8]]);
            return Some((u32::from(width), u32::from(height)));
        }
        if length < 2 {
            return None;
        }
        at += 2 + length;
    }
    None
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A minimal PNG header of the given size (enough for the size check).
    pub fn png(width: u32, height: u32) -> Vec<u8> {
        let mut bytes = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR".to_vec();
        bytes.extend_from_slice(&width.to_be_bytes());
        bytes.extend_from_slice(&height.to_be_bytes());
        bytes.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
        bytes
    }

    /// A minimal JPEG: SOI, an APP0 segment, then a baseline frame header.
    pub fn jpeg(width: u16, height: u16) -> Vec<u8> {
        let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
        bytes.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
        bytes.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x11, 0x08]);
        bytes.extend_from_slice(&height.to_be_bytes());
        bytes.extend_from_slice(&width.to_be_bytes());
        bytes.extend_from_slice(&[0x03, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xFF, 0xD9]);
        bytes
    }

    #[test]
    fn png_and_jpeg_sizes_are_read_from_their_headers() {
        let logo = Logo::parse(png(200, 100)).unwrap();
        assert_eq!(
            (logo.format, logo.width, logo.height),
            (LogoFormat::Png, 200, 100)
        );
        let logo = Logo::parse(jpeg(512, 300)).unwrap();
        assert_eq!(
            (logo.format, logo.width, logo.height),
            (LogoFormat::Jpeg, 512, 300)
        );
        assert_eq!(logo.format.content_type(), "image/jpeg");
    }

    #[test]
    fn bad_logos_are_refused_with_a_reason() {
        assert_eq!(Logo::parse(vec![]), Err(LogoError::Empty));
        assert_eq!(
            Logo::parse(png(513, 10)),
            Err(LogoError::TooBig {
                width: 513,
                height: 10
            })
        );
        assert_eq!(
            Logo::parse(jpeg(10, 600)),
            Err(LogoError::TooBig {
                width: 10,
                height: 600
            })
        );
        let mut big = png(10, 10);
        big.resize(MAX_BYTES + 1, 0);
        assert_eq!(Logo::parse(big), Err(LogoError::TooLarge(101)));
        // A GIF, a "logo.png" that is really text, an executable: all by content.
        for impostor in [
            b"GIF89a\x01\x00\x01\x00".to_vec(),
            b"hello, I am a PNG".to_vec(),
            b"MZ\x90\x00\x03\x00".to_vec(),
            b"\x7fELF\x02\x01".to_vec(),
        ] {
            assert_eq!(Logo::parse(impostor), Err(LogoError::NotAnImage));
        }
        assert_eq!(
            Logo::parse(vec![0xFF, 0xD8, 0xFF, 0xDA, 0, 2]),
            Err(LogoError::NotAnImage),
            "no frame header"
        );
    }
}
