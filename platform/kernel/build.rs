// The Fluent files are compiled into the binary; rebuild when any of them changes or is added.
fn main() {
    println!("cargo:rerun-if-changed=../locales");
    for locale in std::fs::read_dir("../locales")
        .expect("platform/locales exists")
        .flatten()
    {
        println!("cargo:rerun-if-changed={}", locale.path().display());
    }
}
