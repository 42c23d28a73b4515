// expect: not-correct
// forks without end
#include <unistd.h>
int main() {
    for (;;) fork();
}
