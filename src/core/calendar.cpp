#include "calendar.h"

#include <cstdio>

namespace npskit {

int64_t floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

int64_t days_from_civil(int y, int m, int d) {
    y -= m <= 2;
    const int64_t era = floor_div(y, 400);
    const int64_t yoe = y - era * 400;
    const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

civil_date civil_from_days(int64_t z) {
    z += 719468;
    const int64_t era = floor_div(z, 146097);
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
    const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
    return {static_cast<int>(yoe + era * 400 + (m <= 2)), m, d};
}

int64_t iso_week_start_day(int64_t day) {
    // 1970-01-01 was a Thursday: (day + 3) mod 7 is 0 on Mondays.
    return day - (((day + 3) % 7) + 7) % 7;
}

iso_week iso_week_of_day(int64_t day) {
    int64_t thursday = iso_week_start_day(day) + 3;
    int year = civil_from_days(thursday).year;
    int64_t jan1 = days_from_civil(year, 1, 1);
    return {year, static_cast<int>((thursday - jan1) / 7 + 1)};
}

namespace {
struct cursor {
    std::string_view s;
    size_t i = 0;
    bool done() const { return i >= s.size(); }
    bool digits(int count, int& out) {
        if (i + count > s.size()) return false;
        out = 0;
        for (int k = 0; k < count; ++k) {
            char c = s[i + k];
            if (c < '0' || c > '9') return false;
            out = out * 10 + (c - '0');
        }
        i += count;
        return true;
    }
    bool eat(char c) {
        if (i < s.size() && s[i] == c) {
            ++i;
            return true;
        }
        return false;
    }
};
int days_in_month(int y, int m) {
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}
}  // namespace

std::optional<int64_t> parse_timestamp(std::string_view text, bool lenient) {
    cursor c{text};
    int y, mo, d, h = 0, mi = 0, sec = 0, ms = 0;
    if (!c.digits(4, y) || !c.eat('-') || !c.digits(2, mo) || !c.eat('-') || !c.digits(2, d)) return std::nullopt;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo)) return std::nullopt;
    int64_t offset_min = 0;
    if (c.done()) {
        if (!lenient) return std::nullopt;
    } else {
        if (!(c.eat('T') || c.eat('t') || (lenient && c.eat(' ')))) return std::nullopt;
        if (!c.digits(2, h) || !c.eat(':') || !c.digits(2, mi)) return std::nullopt;
        bool has_seconds = c.eat(':');
        if (has_seconds && !c.digits(2, sec)) return std::nullopt;
        if (!has_seconds && !lenient) return std::nullopt;
        if (h > 23 || mi > 59 || sec > 60) return std::nullopt;  // 60: leap second, folded below
        if (has_seconds && c.eat('.')) {
            int scale = 100, digits = 0;
            while (!c.done() && c.s[c.i] >= '0' && c.s[c.i] <= '9') {
                ms += (c.s[c.i] - '0') * scale;
                scale /= 10;
                ++c.i;
                ++digits;
            }
            if (digits == 0) return std::nullopt;
        }
        if (c.eat('Z') || c.eat('z')) {
        } else if (!c.done() && (c.s[c.i] == '+' || c.s[c.i] == '-')) {
            int sign = c.s[c.i] == '-' ? -1 : 1;
            ++c.i;
            int oh, om;
            if (!c.digits(2, oh) || !c.eat(':') || !c.digits(2, om) || oh > 23 || om > 59) return std::nullopt;
            offset_min = sign * (oh * 60 + om);
        } else if (!lenient) {
            return std::nullopt;
        }
        if (sec == 60) sec = 59;
    }
    if (!c.done()) return std::nullopt;
    int64_t days = days_from_civil(y, mo, d);
    return days * ms_per_day + ((h * 60 + mi - offset_min) * 60 + sec) * int64_t{1000} + ms;
}

std::string format_timestamp(int64_t unix_ms) {
    int64_t day = floor_div(unix_ms, ms_per_day);
    int64_t rest = unix_ms - day * ms_per_day;
    civil_date cd = civil_from_days(day);
    int h = static_cast<int>(rest / 3'600'000), mi = static_cast<int>(rest / 60'000 % 60);
    int s = static_cast<int>(rest / 1000 % 60), ms = static_cast<int>(rest % 1000);
    char buf[40];
    if (ms)
        std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", cd.year, cd.month, cd.day, h, mi, s, ms);
    else
        std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", cd.year, cd.month, cd.day, h, mi, s);
    return buf;
}

std::string format_date(int64_t day) {
    civil_date cd = civil_from_days(day);
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", cd.year, cd.month, cd.day);
    return buf;
}

std::string format_month(int64_t day) {
    civil_date cd = civil_from_days(day);
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02d", cd.year, cd.month);
    return buf;
}

std::string format_iso_week(int64_t day) {
    iso_week w = iso_week_of_day(day);
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-W%02d", w.year, w.week);
    return buf;
}

}  // namespace npskit
