class Instance {
    void main() {
        System.out.println("instance main");
        System.exit(9);
    }
}
