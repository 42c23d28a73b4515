// expect: wrong
// skips the last number
#include <cstdio>
int main() {
    long long n, x, total = 0;
    scanf("%lld", &n);
    for (long long i = 0; i + 1 < n; ++i) {
        scanf("%lld", &x);
        total += x;
    }
    printf("%lld\n", total);
}
