// expect: wrong
// writes through a null pointer after printing the right answer
#include <cstdio>
int main() {
    long long n, x, total = 0;
    scanf("%lld", &n);
    while (n-- > 0 && scanf("%lld", &x) == 1) total += x;
    printf("%lld\n", total);
    fflush(stdout);
    volatile int *nowhere = nullptr;
    *nowhere = 1;
}
