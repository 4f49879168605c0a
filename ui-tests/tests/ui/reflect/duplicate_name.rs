// Two fields with one name once renamed: reported on the later one.
use rcobj::Object;

#[derive(Object)]
#[object(key = "demo.Clash")]
struct Clash {
    name: String,
    #[object(rename = "name")]
    label: String,
}

#[derive(Object)]
#[object(key = "demo.TupleClash")]
struct TupleClash(#[object(rename = "1")] u8, u8);

fn main() {}
