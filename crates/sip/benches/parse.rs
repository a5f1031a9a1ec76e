//! Parse and serialize, ours beside `rsip`, for three typical messages.
//! `cargo bench -p sip --bench parse`

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(native::benches);

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use criterion::{Criterion, Throughput, criterion_group};
    use std::hint::black_box;

    const SAMPLES: [(&str, &[u8]); 3] = [
        ("INVITE with SDP", include_bytes!("samples/invite.sip")),
        ("200 OK to REGISTER", include_bytes!("samples/register-ok.sip")),
        ("NOTIFY with PIDF", include_bytes!("samples/notify.sip")),
    ];

    fn parse(c: &mut Criterion) {
        for (name, bytes) in SAMPLES {
            let mut group = c.benchmark_group(format!("parse/{name}"));
            group.throughput(Throughput::Bytes(bytes.len() as u64));
            group.bench_function("framephone sip", |b| {
                b.iter(|| sip::Message::parse(black_box(bytes)).map(|m| m.headers().len()))
            });
            group.bench_function("framephone sip + validate", |b| {
                b.iter(|| {
                    matches!(sip::validate(black_box(bytes), &sip::Capabilities::default()), sip::Verdict::Drop(_))
                })
            });
            group.bench_function("rsip 0.4", |b| {
                b.iter(|| rsip::SipMessage::try_from(black_box(bytes)).map(|m| m.body().len()))
            });
            group.finish();
        }
    }

    fn serialize(c: &mut Criterion) {
        for (name, bytes) in SAMPLES {
            let ours = sip::Message::parse(bytes).expect("a sample parses");
            let theirs = rsip::SipMessage::try_from(bytes).expect("rsip parses the sample");
            let mut group = c.benchmark_group(format!("serialize/{name}"));
            group.throughput(Throughput::Bytes(bytes.len() as u64));
            group.bench_function("framephone sip", |b| b.iter(|| black_box(&ours).to_bytes().map_or(0, |b| b.len())));
            group.bench_function("rsip 0.4", |b| b.iter(|| black_box(&theirs).to_string().len()));
            group.finish();
        }
    }

    criterion_group!(benches, parse, serialize);
}
