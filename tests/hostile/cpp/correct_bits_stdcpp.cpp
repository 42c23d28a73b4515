// expect: correct
// the competitive programmer's header, a vector and an STL algorithm
#include <bits/stdc++.h>
using namespace std;
int main() {
    int n;
    cin >> n;
    vector<long long> values(n);
    for (auto &value : values) cin >> value;
    cout << accumulate(values.begin(), values.end(), 0LL) << '\n';
}
