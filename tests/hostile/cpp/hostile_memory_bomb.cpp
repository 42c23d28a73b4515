// expect: not-correct
// allocates and touches memory until something stops it, then prints the answer
#include <cstdio>
#include <cstdlib>
#include <cstring>
int main() {
    for (;;) {
        char *block = static_cast<char *>(malloc(64 << 20));
        if (block == nullptr) break;
        memset(block, 1, 64 << 20);
    }
    puts("0");
}
