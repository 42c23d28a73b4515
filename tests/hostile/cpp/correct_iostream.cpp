// expect: correct
// sums with iostream and 64-bit arithmetic
#include <iostream>
int main() {
    std::ios::sync_with_stdio(false);
    std::cin.tie(nullptr);
    long long n, x, total = 0;
    std::cin >> n;
    for (long long i = 0; i < n; ++i) {
        std::cin >> x;
        total += x;
    }
    std::cout << total << "\n";
}
