// npskit core: the string type of the code the widget links (json_text, delivery, rules, i18n).
// Natively and in the tests `npskit::text` is std::string. In the widget bundle
// (NPSKIT_SMALL_TEXT=1) it is small_text: a pointer, a size and a capacity, with no short-string
// branch inlined at every use and one out-of-line append; the prompt's size budget is 16 KB.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace npskit {

class small_text {
public:
    small_text() = default;
    small_text(std::string_view s) { append(s.data(), s.size()); }  // NOLINT: implicit, as std::string from text
    small_text(const char* s) : small_text(std::string_view(s)) {}  // NOLINT
    small_text(const small_text& o) : small_text(std::string_view(o)) {}
    small_text(small_text&& o) noexcept { swap(o); }
    small_text& operator=(std::string_view s) { return assign(s); }
    small_text& operator=(const char* s) { return assign(s); }
    small_text& operator=(const small_text& o) { return assign(o); }
    small_text& operator=(small_text&& o) noexcept {
        swap(o);
        return *this;
    }
    ~small_text();

    small_text& assign(std::string_view s);
    small_text& append(const char* s, size_t n);
    small_text& operator+=(std::string_view s) { return append(s.data(), s.size()); }
    small_text& operator+=(const char* s) { return *this += std::string_view(s); }
    small_text& operator+=(char c) { return append(&c, 1); }
    void resize(size_t n);  // new bytes are zero
    void clear() { resize(0); }
    void swap(small_text& o) noexcept;

    const char* c_str() const { return p_ ? p_ : ""; }  // always NUL-terminated
    const char* data() const { return c_str(); }
    char* data() { return p_; }  // nullptr while empty and never grown
    size_t size() const { return n_; }
    bool empty() const { return n_ == 0; }
    operator std::string_view() const { return {c_str(), n_}; }  // NOLINT: implicit, as std::string
    friend bool operator==(const small_text& a, std::string_view b) { return std::string_view(a) == b; }
    friend bool operator!=(const small_text& a, std::string_view b) { return std::string_view(a) != b; }

private:
    char* p_ = nullptr;
    uint32_t n_ = 0, cap_ = 0;
};

#if NPSKIT_SMALL_TEXT
using text = small_text;
#else
using text = std::string;
#endif

}  // namespace npskit
