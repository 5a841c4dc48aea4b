//! A real SMTP server on a loopback port that keeps what it receives. It speaks
//! enough ESMTP for lettre (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) and can be
//! stopped and restarted on the same port to simulate an outage.
use std::{net::SocketAddr, sync::Arc, time::Duration};

use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
    sync::{Mutex, Notify},
    task::JoinHandle,
};

/// One message as the server received it.
#[derive(Clone, Debug)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: Vec<u8>,
}

impl Received {
    pub fn parsed(&self) -> mail_parser::Message<'_> {
        mail_parser::MessageParser::default()
            .parse(&self.data)
            .expect("a parsable message")
    }

    pub fn subject(&self) -> String {
        self.parsed().subject().unwrap_or_default().to_string()
    }

    pub fn text(&self) -> String {
        self.parsed()
            .body_text(0)
            .map(|t| t.to_string())
            .unwrap_or_default()
    }

    pub fn html(&self) -> String {
        self.parsed()
            .body_html(0)
            .map(|t| t.to_string())
            .unwrap_or_default()
    }

    /// The first link in the plain-text body that contains `path`.
    pub fn link_containing(&self, path: &str) -> Option<String> {
        self.text()
            .split_whitespace()
            .find(|w| w.starts_with("http") && w.contains(path))
            .map(str::to_string)
    }
}

pub struct SmtpSink {
    pub addr: SocketAddr,
    inbox: Arc<Mutex<Vec<Received>>>,
    arrived: Arc<Notify>,
    task: Option<JoinHandle<()>>,
    behaviour: Arc<Behaviour>,
}

/// How the server treats what it is sent, changeable while it runs.
#[derive(Default)]
struct Behaviour {
    /// Addresses (lowercase) answered `550` at RCPT, as a server without that mailbox does.
    refused: std::sync::Mutex<std::collections::HashSet<String>>,
    /// While true, the reply to the end of DATA waits: a send in progress.
    held: tokio::sync::watch::Sender<bool>,
    /// Sessions waiting in a held DATA.
    holding: std::sync::atomic::AtomicUsize,
    /// Held messages are answered `451` (try later) on release, not taken.
    fail_held: std::sync::atomic::AtomicBool,
}

impl SmtpSink {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind smtp");
        let addr = listener.local_addr().unwrap();
        let mut sink = Self {
            addr,
            inbox: Default::default(),
            arrived: Default::default(),
            task: None,
            behaviour: Default::default(),
        };
        sink.serve(listener);
        sink
    }

    fn serve(&mut self, listener: TcpListener) {
        let (inbox, arrived) = (self.inbox.clone(), self.arrived.clone());
        let behaviour = self.behaviour.clone();
        self.task = Some(tokio::spawn(async move {
            // Owned by this task, so that stopping the server also cuts the
            // connections a client keeps open in its pool.
            let mut sessions = tokio::task::JoinSet::new();
            while let Ok((stream, _)) = listener.accept().await {
                while sessions.try_join_next().is_some() {}
                let (inbox, arrived) = (inbox.clone(), arrived.clone());
                let behaviour = behaviour.clone();
                sessions.spawn(async move {
                    let _ = session(stream, inbox, arrived, behaviour).await;
                });
            }
        }));
    }

    /// Closes the port and every open connection: connections are refused
    /// until [`SmtpSink::resume`].
    pub fn stop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }

    pub async fn resume(&mut self) {
        let listener = loop {
            match TcpListener::bind(self.addr).await {
                Ok(l) => break l,
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        };
        self.serve(listener);
    }

    /// Answers RCPT for `address` with a permanent `550` from now on.
    pub fn refuse(&self, address: &str) {
        self.behaviour
            .refused
            .lock()
            .unwrap()
            .insert(address.to_ascii_lowercase());
    }

    /// Takes `address` again.
    pub fn accept(&self, address: &str) {
        self.behaviour
            .refused
            .lock()
            .unwrap()
            .remove(&address.to_ascii_lowercase());
    }

    /// Until [`Self::release`], a message's data is read but not answered,
    /// so the sender is stuck mid-send.
    pub fn hold(&self) {
        self.behaviour.held.send_replace(true);
    }

    pub fn release(&self) {
        self.behaviour.held.send_replace(false);
    }

    /// Releases held senders with a transient `451`: their messages are not taken.
    pub fn release_with_temporary_failure(&self) {
        self.behaviour
            .fail_held
            .store(true, std::sync::atomic::Ordering::SeqCst);
        self.release();
    }

    /// Waits (up to 20 s) until a sender is stuck in a held DATA.
    pub async fn wait_until_holding(&self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while self
            .behaviour
            .holding
            .load(std::sync::atomic::Ordering::SeqCst)
            == 0
        {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no sender reached DATA within 20 s"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    pub async fn messages(&self) -> Vec<Received> {
        self.inbox.lock().await.clone()
    }

    /// Waits (up to 20 s) for a message to `to` whose subject contains `subject`.
    pub async fn wait_for(&self, to: &str, subject: &str) -> Received {
        self.wait_for_saying(to, subject, "").await
    }

    /// Like [`Self::wait_for`], for a message whose text also contains
    /// `needle` (one of several with the same subject).
    pub async fn wait_for_saying(&self, to: &str, subject: &str, needle: &str) -> Received {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let notified = self.arrived.notified();
            if let Some(found) = self.inbox.lock().await.iter().find(|m| {
                m.to.iter().any(|t| t.eq_ignore_ascii_case(to))
                    && m.subject().contains(subject)
                    && m.text().contains(needle)
            }) {
                return found.clone();
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                let seen: Vec<String> = self
                    .inbox
                    .lock()
                    .await
                    .iter()
                    .map(|m| format!("{:?}: {}", m.to, m.subject()))
                    .collect();
                panic!("no email to {to} about {subject:?} saying {needle:?} within 20 s; received: {seen:#?}");
            }
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn session(
    stream: TcpStream,
    inbox: Arc<Mutex<Vec<Received>>>,
    arrived: Arc<Notify>,
    behaviour: Arc<Behaviour>,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 sink.test ESMTP ready\r\n").await?;
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let upper = line.to_ascii_uppercase();
        if upper.starts_with("EHLO") {
            write
                .write_all(b"250-sink.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
                .await?;
        } else if upper.starts_with("HELO") {
            write.write_all(b"250 sink.test\r\n").await?;
        } else if upper.starts_with("MAIL FROM:") {
            from = address(&line[10..]);
            to.clear();
            write.write_all(b"250 OK\r\n").await?;
        } else if upper.starts_with("RCPT TO:") {
            let rcpt = address(&line[8..]);
            let refused = behaviour
                .refused
                .lock()
                .unwrap()
                .contains(&rcpt.to_ascii_lowercase());
            if refused {
                write
                    .write_all(format!("550 5.1.1 <{rcpt}>: no such mailbox here\r\n").as_bytes())
                    .await?;
            } else {
                to.push(rcpt);
                write.write_all(b"250 OK\r\n").await?;
            }
        } else if upper.starts_with("DATA") {
            write
                .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                .await?;
            let mut data = Vec::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                // Undo dot-stuffing.
                let content = line
                    .strip_prefix('.')
                    .filter(|_| line.starts_with(".."))
                    .unwrap_or(&line);
                data.extend_from_slice(content.as_bytes());
            }
            let mut held = behaviour.held.subscribe();
            if *held.borrow() {
                behaviour
                    .holding
                    .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let _ = held.wait_for(|h| !*h).await;
                behaviour
                    .holding
                    .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                if behaviour
                    .fail_held
                    .swap(false, std::sync::atomic::Ordering::SeqCst)
                {
                    write
                        .write_all(b"451 4.3.0 temporarily unable to take mail\r\n")
                        .await?;
                    continue;
                }
            }
            inbox.lock().await.push(Received {
                from: from.clone(),
                to: to.clone(),
                data,
            });
            arrived.notify_waiters();
            write.write_all(b"250 OK queued\r\n").await?;
        } else if upper.starts_with("QUIT") {
            write.write_all(b"221 Bye\r\n").await?;
            return Ok(());
        } else if upper.starts_with("RSET") || upper.starts_with("NOOP") {
            write.write_all(b"250 OK\r\n").await?;
        } else {
            write.write_all(b"502 Command not implemented\r\n").await?;
        }
    }
}

fn address(raw: &str) -> String {
    raw.trim()
        .trim_start_matches('<')
        .split('>')
        .next()
        .unwrap_or_default()
        .to_string()
}
