// expect: wrong
// does not compile: the compiler's first lines must reach the verdict
#include <cstdio>
int main() {
    long long total = 0
    printf("%lld\n", total);
}
