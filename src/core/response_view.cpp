// npskit core: a record as views (response_view) and as owned strings (response), both ways,
// field by field from the record's list (schema.h).
#include "schema.h"

namespace npskit {

namespace {
// Owned -> view, one overload per C++ type (the kinds share them).
void view_field(std::string_view& to, const std::string& from) { to = from; }
void view_field(std::optional<std::string_view>& to, const std::optional<std::string>& from) {
    if (from)
        to = *from;
    else
        to.reset();
}
template <class T>
void view_field(T& to, const T& from) {
    to = from;
}  // type, score, timestamp, boolean
// Attributes: views need their own storage (view_of's `attributes`).
void view_field(std::span<const response_view::attribute>&, const std::vector<std::pair<std::string, std::string>>&) {}

// View -> owned: the strings keep their capacity (the importer reuses one response).
void own_field(std::string& to, std::string_view from) { to.assign(from); }
void own_field(std::optional<std::string>& to, const std::optional<std::string_view>& from) {
    if (!from) return to.reset();
    if (!to) to.emplace();
    to->assign(*from);
}
void own_field(std::vector<std::pair<std::string, std::string>>& to, std::span<const response_view::attribute> from) {
    to.resize(from.size());
    for (size_t i = 0; i < from.size(); ++i) {
        to[i].first.assign(from[i].first);
        to[i].second.assign(from[i].second);
    }
}
template <class T>
void own_field(T& to, const T& from) {
    to = from;
}
}  // namespace

response_view view_of(const response& r, std::vector<response_view::attribute>& attributes) {
    attributes.clear();
    for (const auto& [key, value] : r.attributes) attributes.emplace_back(key, value);
    response_view v;
#define NPSKIT_X(member, json, kind, limit, update, stored) view_field(v.member, r.member);
    NPSKIT_RECORD_FIELDS(NPSKIT_X)
#undef NPSKIT_X
    v.attributes = attributes;
    return v;
}

const response& response_from(const response_view& v, response& r) {
#define NPSKIT_X(member, json, kind, limit, update, stored) own_field(r.member, v.member);
    NPSKIT_RECORD_FIELDS(NPSKIT_X)
#undef NPSKIT_X
    return r;
}

}  // namespace npskit
