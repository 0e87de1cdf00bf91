fn main() {
    cc_placeholder();
}
fn cc_placeholder() {}
