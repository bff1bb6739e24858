//! Bytes per layer of a layered `.sz` file (measurement aid).
use semzip::codec::{Reader, Record};
fn main() {
    for path in std::env::args().skip(1) {
        let data = std::fs::read(&path).unwrap();
        let mut r = Reader::new(&data[..]).unwrap();
        let (mut base, mut order, mut exact) = (0u64, 0u64, 0u64);
        let mut last = r.header_len();
        while let Some(rec) = r.next_record().unwrap() {
            let off = r.offset();
            if std::env::var("V").is_ok() {
                match &rec {
                    Record::Packet { offset, packet } => {
                        println!("PK at {offset} payload {}", packet.payload.len())
                    }
                    Record::Skipped {
                        offset, tag, len, ..
                    } => println!("{} at {offset} len {len}", String::from_utf8_lossy(tag)),
                    _ => {}
                }
            }
            match rec {
                Record::Packet { .. } => base += off - last,
                Record::Skipped { tag, len, .. } if &tag == b"lo" => order += len,
                Record::Skipped { len, .. } => exact += len,
                _ => {}
            }
            last = off;
        }
        println!(
            "{path}: header {} base {base} order {order} exact {exact} total {}",
            r.header_len(),
            data.len()
        );
    }
}
