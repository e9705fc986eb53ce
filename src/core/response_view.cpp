// npskit core: a record as views (response_view) and as owned strings (response), both ways.
#include "schema.h"

namespace npskit {

response_view view_of(const response& r, std::vector<response_view::attribute>& attributes) {
    attributes.clear();
    for (const auto& [key, value] : r.attributes) attributes.emplace_back(key, value);
    response_view v;
    v.id = r.id;
    v.survey = r.survey;
    v.type = r.type;
    v.score = r.score;
    v.ts_ms = r.ts_ms;
    if (r.comment) v.comment = *r.comment;
    if (r.user) v.user = *r.user;
    if (r.trigger) v.trigger = *r.trigger;
    if (r.page) v.page = *r.page;
    if (r.locale) v.locale = *r.locale;
    if (r.email) v.email = *r.email;
    v.contact_ok = r.contact_ok;
    v.attributes = attributes.data();
    v.attribute_count = attributes.size();
    return v;
}

const response& response_from(const response_view& v, response& r) {
    r.id.assign(v.id);
    r.survey.assign(v.survey);
    r.type = v.type;
    r.score = v.score;
    r.ts_ms = v.ts_ms;
    auto copy = [](std::optional<std::string>& to, const std::optional<std::string_view>& from) {
        if (!from) return to.reset();
        if (!to) to.emplace();
        to->assign(*from);
    };
    copy(r.comment, v.comment);
    copy(r.user, v.user);
    copy(r.trigger, v.trigger);
    copy(r.page, v.page);
    copy(r.locale, v.locale);
    copy(r.email, v.email);
    r.contact_ok = v.contact_ok;
    r.attributes.resize(v.attribute_count);
    for (size_t i = 0; i < v.attribute_count; ++i) {
        r.attributes[i].first.assign(v.attributes[i].first);
        r.attributes[i].second.assign(v.attributes[i].second);
    }
    return r;
}

}  // namespace npskit
