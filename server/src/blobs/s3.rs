//! An S3-compatible bucket (AWS S3, MinIO, Ceph, …) spoken to directly: path-style
//! requests signed with AWS Signature Version 4, over HTTPS (rustls with the
//! Mozilla roots) or plain HTTP for a local endpoint.
use std::time::Duration;

use chrono::{DateTime, Utc};
use http_body_util::{BodyExt, Full};
use hyper::{body::Bytes, Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use sha2::{Digest, Sha256};

/// Where and as whom to reach the bucket.
#[derive(Clone)]
pub struct S3Config {
    /// `https://s3.us-east-1.amazonaws.com`, `http://127.0.0.1:9000`, …
    pub endpoint: url::Url,
    pub bucket: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Config")
            .field("endpoint", &self.endpoint.as_str())
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum S3Error {
    #[error("cannot reach the object store: {0}")]
    Connect(String),
    #[error("the object store answered {status}: {body}")]
    Status { status: u16, body: String },
}

impl From<S3Error> for std::io::Error {
    fn from(e: S3Error) -> Self {
        match e {
            S3Error::Status { status: 404, .. } => {
                std::io::Error::new(std::io::ErrorKind::NotFound, e.to_string())
            }
            other => std::io::Error::other(other.to_string()),
        }
    }
}

const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn hmac(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let inner: Vec<u8> = block.iter().map(|b| b ^ 0x36).collect();
    let outer: Vec<u8> = block.iter().map(|b| b ^ 0x5c).collect();
    let inner_hash = Sha256::new()
        .chain_update(&inner)
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(&outer)
        .chain_update(inner_hash)
        .finalize()
        .into()
}

/// The `Authorization` header value for a request, per AWS Signature Version 4.
/// `headers` are the headers to sign (lower-case names), including `host`,
/// `x-amz-date` and `x-amz-content-sha256`.
pub fn authorization(
    config: &S3Config,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    payload_sha256: &str,
    at: DateTime<Utc>,
) -> String {
    let mut headers: Vec<(String, String)> = headers
        .iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    headers.sort();
    let canonical_headers: String = headers.iter().map(|(n, v)| format!("{n}:{v}\n")).collect();
    let signed_headers = headers
        .iter()
        .map(|(n, _)| n.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let canonical_request =
        format!("{method}\n{path}\n\n{canonical_headers}\n{signed_headers}\n{payload_sha256}");
    let date = at.format("%Y%m%d").to_string();
    let scope = format!("{date}/{}/s3/aws4_request", config.region);
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{}\n{scope}\n{}",
        at.format("%Y%m%dT%H%M%SZ"),
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    );
    let key = [
        date.as_bytes(),
        config.region.as_bytes(),
        b"s3",
        b"aws4_request",
    ]
    .iter()
    .fold(
        format!("AWS4{}", config.secret_access_key).into_bytes(),
        |key, part| hmac(&key, part).to_vec(),
    );
    let signature = hex::encode(hmac(&key, string_to_sign.as_bytes()));
    format!(
        "AWS4-HMAC-SHA256 Credential={}/{scope},SignedHeaders={signed_headers},Signature={signature}",
        config.access_key_id
    )
}

/// One bucket.
#[derive(Clone, Debug)]
pub struct S3Bucket {
    config: S3Config,
}

impl S3Bucket {
    pub fn new(config: S3Config) -> Self {
        Self { config }
    }

    fn object_path(&self, key: &str) -> String {
        let base = self.config.endpoint.path().trim_end_matches('/');
        format!("{base}/{}/{key}", self.config.bucket)
    }

    /// Sends one signed request and returns the status and body.
    async fn send(
        &self,
        method: Method,
        key: &str,
        body: Bytes,
    ) -> Result<(StatusCode, Bytes), S3Error> {
        let endpoint = &self.config.endpoint;
        let host_name = endpoint
            .host_str()
            .ok_or_else(|| S3Error::Connect("the endpoint has no host".into()))?
            .to_string();
        let https = endpoint.scheme() == "https";
        let port = endpoint.port_or_known_default().unwrap_or(443);
        let host = match endpoint.port() {
            Some(p) => format!("{host_name}:{p}"),
            None => host_name.clone(),
        };
        let path = self.object_path(key);
        let payload_sha256 = if body.is_empty() {
            EMPTY_SHA256.to_string()
        } else {
            hex::encode(Sha256::digest(&body))
        };
        // The wall clock, not the portal's Clock: S3 rejects a signature whose
        // x-amz-date is more than 15 minutes from its own time, whatever date
        // a test has moved the portal to.
        let now = Utc::now();
        let amz_date = now.format("%Y%m%dT%H%M%SZ").to_string();
        let authorization = authorization(
            &self.config,
            method.as_str(),
            &path,
            &[
                ("host", &host),
                ("x-amz-content-sha256", &payload_sha256),
                ("x-amz-date", &amz_date),
            ],
            &payload_sha256,
            now,
        );
        let request = Request::builder()
            .method(method)
            .uri(&path)
            .header("host", &host)
            .header("x-amz-content-sha256", &payload_sha256)
            .header("x-amz-date", &amz_date)
            .header("authorization", authorization)
            .header("content-length", body.len())
            .body(Full::new(body))
            .map_err(|e| S3Error::Connect(e.to_string()))?;
        let exchange = async {
            let tcp = tokio::net::TcpStream::connect((host_name.as_str(), port))
                .await
                .map_err(|e| S3Error::Connect(e.to_string()))?;
            if https {
                let tls = tls_connector()
                    .connect(rustls_server_name(&host_name)?, tcp)
                    .await
                    .map_err(|e| S3Error::Connect(e.to_string()))?;
                exchange(TokioIo::new(tls), request).await
            } else {
                exchange(TokioIo::new(tcp), request).await
            }
        };
        tokio::time::timeout(Duration::from_secs(60), exchange)
            .await
            .map_err(|_| S3Error::Connect("timed out".into()))?
    }

    pub async fn put(&self, key: &str, bytes: &[u8]) -> Result<(), S3Error> {
        let (status, body) = self
            .send(Method::PUT, key, Bytes::copy_from_slice(bytes))
            .await?;
        check(status, body).map(|_| ())
    }

    pub async fn get(&self, key: &str) -> Result<Vec<u8>, S3Error> {
        let (status, body) = self.send(Method::GET, key, Bytes::new()).await?;
        check(status, body).map(|b| b.to_vec())
    }

    pub async fn exists(&self, key: &str) -> Result<bool, S3Error> {
        let (status, body) = self.send(Method::HEAD, key, Bytes::new()).await?;
        if status == StatusCode::NOT_FOUND {
            return Ok(false);
        }
        check(status, body).map(|_| true)
    }

    pub async fn delete(&self, key: &str) -> Result<(), S3Error> {
        let (status, body) = self.send(Method::DELETE, key, Bytes::new()).await?;
        check(status, body).map(|_| ())
    }
}

fn check(status: StatusCode, body: Bytes) -> Result<Bytes, S3Error> {
    if status.is_success() {
        Ok(body)
    } else {
        Err(S3Error::Status {
            status: status.as_u16(),
            body: String::from_utf8_lossy(&body).chars().take(500).collect(),
        })
    }
}

async fn exchange<T>(
    io: TokioIo<T>,
    request: Request<Full<Bytes>>,
) -> Result<(StatusCode, Bytes), S3Error>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| S3Error::Connect(e.to_string()))?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| S3Error::Connect(e.to_string()))?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| S3Error::Connect(e.to_string()))?
        .to_bytes();
    Ok((status, body))
}

fn tls_connector() -> tokio_rustls::TlsConnector {
    static CONFIG: std::sync::OnceLock<std::sync::Arc<tokio_rustls::rustls::ClientConfig>> =
        std::sync::OnceLock::new();
    let config = CONFIG.get_or_init(|| {
        let roots = tokio_rustls::rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let provider = std::sync::Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        std::sync::Arc::new(
            tokio_rustls::rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .expect("ring supports the default TLS versions")
                .with_root_certificates(roots)
                .with_no_client_auth(),
        )
    });
    tokio_rustls::TlsConnector::from(config.clone())
}

fn rustls_server_name(
    host: &str,
) -> Result<tokio_rustls::rustls::pki_types::ServerName<'static>, S3Error> {
    tokio_rustls::rustls::pki_types::ServerName::try_from(host.to_string())
        .map_err(|e| S3Error::Connect(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_test_case_2() {
        assert_eq!(
            hex::encode(hmac(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn signature_matches_the_aws_documentation_example() {
        // "Example: GET Object" in the S3 API reference (Signature Version 4).
        let config = S3Config {
            endpoint: url::Url::parse("https://examplebucket.s3.amazonaws.com").unwrap(),
            bucket: "examplebucket".into(),
            region: "us-east-1".into(),
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
        };
        let at = DateTime::parse_from_rfc3339("2013-05-24T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let header = authorization(
            &config,
            "GET",
            "/test.txt",
            &[
                ("host", "examplebucket.s3.amazonaws.com"),
                ("range", "bytes=0-9"),
                ("x-amz-content-sha256", EMPTY_SHA256),
                ("x-amz-date", "20130524T000000Z"),
            ],
            EMPTY_SHA256,
            at,
        );
        assert_eq!(
            header,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,\
             SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,\
             Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
    }

    #[test]
    fn debug_output_never_shows_the_secret() {
        let config = S3Config {
            endpoint: url::Url::parse("http://127.0.0.1:9000").unwrap(),
            bucket: "b".into(),
            region: "us-east-1".into(),
            access_key_id: "id".into(),
            secret_access_key: "very-secret".into(),
        };
        assert!(!format!("{config:?}").contains("very-secret"));
    }
}
