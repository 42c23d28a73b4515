// expect: timeout
// never finishes: spins on a volatile counter
int main() {
    volatile unsigned long long spin = 0;
    for (;;) ++spin;
}
