// expect: not-correct
// prints forever
#include <cstdio>
int main() {
    static char line[1 << 16];
    for (auto &c : line) c = 'x';
    for (;;) fwrite(line, 1, sizeof line, stdout);
}
