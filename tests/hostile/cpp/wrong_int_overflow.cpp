// expect: wrong
// 32-bit sum: right on small tests, overflows on the large one
#include <cstdio>
int main() {
    int n, x, total = 0;
    scanf("%d", &n);
    while (n-- > 0 && scanf("%d", &x) == 1) total += x;
    printf("%d\n", total);
}
