#include "editor.h"

#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "app.h"
#include "app_platform.h"
#include "schema.h"

namespace npskit::dashboard {

namespace {
// Keys in the order they were written: a draft reads like the definition it came from.
using ojson = nlohmann::ordered_json;

std::string dump(const ojson& j, int indent = 2) { return j.dump(indent, ' ', false, ojson::error_handler_t::replace); }

ojson parse(const std::string& text) { return ojson::parse(text, nullptr, false); }

std::string pretty(const std::string& text) {
    ojson j = parse(text);
    return j.is_discarded() ? text : dump(j);
}

void say(editor_state& e, std::string message, bool error) {
    e.message = std::move(message);
    e.message_is_error = error;
}

// The first problem of a collector's error body, as a sentence ("sample: must be …").
std::string answer_sentence(const platform::call_answer& a) {
    ojson j = parse(a.body);
    if (j.is_object() && j.contains("errors") && j["errors"].is_array() && !j["errors"].empty() && j["errors"][0].is_object()) {
        const ojson& e = j["errors"][0];
        std::string field = e.contains("field") && e["field"].is_string() ? e["field"].get<std::string>() : "";
        std::string message = e.contains("message") && e["message"].is_string() ? e["message"].get<std::string>() : "";
        if (!message.empty()) return field.empty() || field == "If-Match" ? message : field + " " + message;
    }
    if (a.status == 0) return "the collector did not answer";
    return "the collector answered " + std::to_string(a.status);
}

bool entries_from(const ojson& items, std::vector<survey_entry>& out) {
    if (!items.is_array()) return false;
    out.clear();
    for (const ojson& item : items) {
        if (!item.is_object()) continue;
        survey_entry s;
        auto str = [&item](const char* k) { return item.contains(k) && item[k].is_string() ? item[k].get<std::string>() : ""; };
        s.id = str("id");
        s.by = str("by");
        s.at = str("at");
        s.etag = str("etag");
        if (item.contains("version") && item["version"].is_number_unsigned()) s.version = item["version"].get<uint64_t>();
        s.deleted = item.contains("deleted") && item["deleted"].is_boolean() && item["deleted"].get<bool>();
        if (item.contains("definition")) s.definition = item["definition"].dump(-1, ' ', false, ojson::error_handler_t::replace);
        out.push_back(std::move(s));
    }
    return true;
}

// The draft changed: check it with the core (the collector's own check) and hand a valid one to
// the preview, at once or once the edits pause (each change restarts the pause). An invalid
// draft leaves the preview on the last valid one.
void draft_changed(app_state& app, const std::string& opened, bool at_once) {
    editor_state& e = app.editor;
    ++e.draft_rev;
    e.dirty = e.draft != opened;
    e.errors = validate_definition(e.draft);
    e.preview_due_ms = e.errors.empty() && e.draft != e.previewed ? now_ms() + editor_preview_pause_ms : 0;
    if (at_once) app_editor_preview_now(app);
}

const survey_entry* find_survey(const editor_state& e, const std::string& id) {
    for (const survey_entry& s : e.surveys)
        if (s.id == id) return &s;
    return nullptr;
}

std::string opened_text(const editor_state& e) {
    const survey_entry* s = find_survey(e, e.selected);
    return s ? pretty(s->definition) : "";
}

// The value at "a" or "a.b" (nullptr when absent).
const ojson* at_key(const ojson& root, const std::string& key) {
    size_t dot = key.find('.');
    std::string head = key.substr(0, dot);
    if (!root.is_object() || !root.contains(head)) return nullptr;
    const ojson& v = root[head];
    if (dot == std::string::npos) return &v;
    return at_key(v, key.substr(dot + 1));
}

void put(app_state& app, const std::string& body, bool restoring) {
    editor_state& e = app.editor;
    platform::call_desc c;
    c.method = "PUT";
    c.base = app.settings.source;
    c.path = "/v1/surveys/" + e.selected;  // a valid survey id: nothing to escape
    c.key = app.follow_up.admin_key;
    c.if_match = e.base_etag;
    c.actor = app.follow_up.by;
    c.body = body;
    e.save_req = platform::collector_call(c);
    e.restoring = restoring;
    say(e, restoring ? "Restoring…" : "Saving…", false);
}

void ask_versions(app_state& app) {
    editor_state& e = app.editor;
    e.versions.clear();
    if (e.base_etag.empty()) return;  // a new survey has none yet
    e.versions_req =
        platform::collector_call({"GET", app.settings.source, "/v1/surveys/" + e.selected + "/versions", app.settings.key, "", "", ""});
}
}  // namespace

std::string editor_preview_config(const std::string& draft) {
    ojson j = parse(draft);
    if (!j.is_object()) return "{}";
    for (const char* k : {"active", "start", "end", "app", "priority", "variants"}) j.erase(k);
    return dump(j, -1);
}

void app_editor_preview_now(app_state& app) {
    editor_state& e = app.editor;
    if (!e.preview_due_ms) return;
    e.preview_due_ms = 0;
    e.previewed = e.draft;
    ++e.previews;
    platform::preview_definition(editor_preview_config(e.draft));
}

void app_editor_show(app_state& app, bool open) {
    app.editor.open = open;
    if (open) app_editor_list(app);
}

void app_editor_list(app_state& app) {
    editor_state& e = app.editor;
    e.list_req = platform::collector_call({"GET", app.settings.source, "/v1/surveys", app.settings.key, "", "", ""});
}

void app_editor_select(app_state& app, const std::string& id) {
    editor_state& e = app.editor;
    const survey_entry* s = find_survey(e, id);
    if (!s) return;
    e.selected = s->id;
    e.base_etag = s->etag;
    e.base_version = s->version;
    e.draft = pretty(s->definition);
    draft_changed(app, e.draft, true);
    ask_versions(app);
}

void app_editor_new(app_state& app, const std::string& id) {
    editor_state& e = app.editor;
    if (!is_valid_survey(id)) return say(e, "A survey id is 1-64 of A-Z a-z 0-9 _ . -", true);
    if (find_survey(e, id)) return app_editor_select(app, id);
    e.selected = id;
    e.base_etag.clear();
    e.base_version = 0;
    // Paused until someone turns it on: saving a new survey never starts asking people.
    e.draft = "{\n  \"active\": false,\n  \"product\": \"\",\n  \"sample\": 100\n}";
    draft_changed(app, "", true);
    e.versions.clear();
    say(e, "New survey " + id + ": paused (active false) until you turn it on.", false);
}

void app_editor_set_text(app_state& app, const std::string& text) {
    editor_state& e = app.editor;
    if (text == e.draft) return;
    e.draft = text;
    draft_changed(app, opened_text(e), false);
}

bool app_editor_set_field(app_state& app, const std::string& key, const std::string& value, editor_field_kind kind) {
    editor_state& e = app.editor;
    ojson root = parse(e.draft);
    if (!root.is_object()) return false;
    size_t dot = key.find('.');
    ojson* parent = &root;
    std::string leaf = key;
    if (dot != std::string::npos) {
        std::string head = key.substr(0, dot);
        if (!root.contains(head) || !root[head].is_object()) {
            if (value.empty()) return true;
            root[head] = ojson::object();
        }
        parent = &root[head];
        leaf = key.substr(dot + 1);
    }
    if (value.empty() && kind != editor_field_kind::flag) {
        parent->erase(leaf);
    } else if (kind == editor_field_kind::number) {
        char* end = nullptr;
        double d = std::strtod(value.c_str(), &end);
        if (end && *end == '\0' && std::isfinite(d) && value.find_first_of("xXnN") == std::string::npos)
            (*parent)[leaf] = d == std::floor(d) && std::fabs(d) < 9e15 ? ojson(static_cast<int64_t>(d)) : ojson(d);
        else
            (*parent)[leaf] = value;  // the core says what is wrong with it
    } else if (kind == editor_field_kind::flag) {
        (*parent)[leaf] = value == "true";
    } else if (kind == editor_field_kind::words) {
        ojson words = ojson::array();
        for (size_t i = 0; i < value.size();) {
            size_t j = value.find(' ', i);
            if (j == std::string::npos) j = value.size();
            if (j > i) words.push_back(value.substr(i, j - i));
            i = j + 1;
        }
        if (words.empty())
            parent->erase(leaf);
        else
            (*parent)[leaf] = std::move(words);
    } else {
        (*parent)[leaf] = value;
    }
    if (dot != std::string::npos && parent->empty()) root.erase(key.substr(0, dot));
    std::string text = dump(root);
    if (text != e.draft) {
        e.draft = std::move(text);
        draft_changed(app, opened_text(e), false);
    }
    return true;
}

std::string app_editor_field(const app_state& app, const std::string& key, editor_field_kind kind, bool* editable) {
    if (editable) *editable = true;
    ojson root = parse(app.editor.draft);
    if (!root.is_object()) {
        if (editable) *editable = false;
        return "";
    }
    const ojson* v = at_key(root, key);
    if (!v) return "";
    auto other = [&]() {
        if (editable) *editable = false;
        return dump(*v, -1);
    };
    switch (kind) {
        case editor_field_kind::text: return v->is_string() ? v->get<std::string>() : other();
        case editor_field_kind::number:
            if (v->is_number()) return dump(*v, -1);
            return v->is_string() ? v->get<std::string>() : other();
        case editor_field_kind::flag: return v->is_boolean() ? (v->get<bool>() ? "true" : "false") : other();
        case editor_field_kind::words: {
            if (v->is_string()) return v->get<std::string>();
            if (!v->is_array()) return other();
            std::string out;
            for (const ojson& w : *v) {
                if (!w.is_string()) return other();  // triggers with conditions: the raw text has them
                out += (out.empty() ? "" : " ") + w.get<std::string>();
            }
            return out;
        }
    }
    return "";
}

void app_editor_save(app_state& app) {
    editor_state& e = app.editor;
    if (e.selected.empty() || e.save_req) return;
    e.errors = validate_definition(e.draft);
    if (!e.errors.empty()) {
        const definition_error& first = e.errors.front();
        return say(e,
                   "Not saved: " + std::to_string(e.errors.size()) + (e.errors.size() == 1 ? " problem" : " problems") + " (" +
                       (first.field.empty() ? "" : first.field + " ") + first.message + ").",
                   true);
    }
    app_editor_preview_now(app);  // what is saved is what the preview shows
    if (!app.follow_up.admin_key[0]) return say(e, "Not saved: enter the admin key (--admin-key) first.", true);
    put(app, e.draft, false);
}

void app_editor_restore(app_state& app, size_t index) {
    editor_state& e = app.editor;
    if (index >= e.versions.size() || e.versions[index].deleted || e.save_req) return;
    if (!app.follow_up.admin_key[0]) return say(e, "Not restored: enter the admin key (--admin-key) first.", true);
    e.restore_from = e.versions[index].version;
    put(app, e.versions[index].definition, true);
}

void app_editor_pump(app_state& app) {
    editor_state& e = app.editor;
    if (e.preview_due_ms && now_ms() >= e.preview_due_ms) app_editor_preview_now(app);
    platform::call_answer a;
    if (e.list_req && platform::take_collector_call(e.list_req, a)) {
        e.list_req = 0;
        ojson j = parse(a.body);
        if (a.status == 200 && j.is_object() && j.contains("surveys") && entries_from(j["surveys"], e.surveys)) {
            e.listed = true;
            std::string again = std::move(e.reopen);
            e.reopen.clear();
            if (!again.empty()) app_editor_select(app, again);
        } else {
            say(e, "Could not list the surveys: " + answer_sentence(a), true);
        }
    }
    if (e.versions_req && platform::take_collector_call(e.versions_req, a)) {
        e.versions_req = 0;
        ojson j = parse(a.body);
        if (a.status == 200 && j.is_object() && j.contains("versions")) entries_from(j["versions"], e.versions);
    }
    if (e.save_req && platform::take_collector_call(e.save_req, a)) {
        e.save_req = 0;
        ojson j = parse(a.body);
        if ((a.status == 200 || a.status == 201) && j.is_object()) {
            uint64_t v = j.contains("version") && j["version"].is_number_unsigned() ? j["version"].get<uint64_t>() : 0;
            say(e,
                e.restoring ? "Restored version " + std::to_string(e.restore_from) + " as version " + std::to_string(v) + "."
                            : "Saved: version " + std::to_string(v) + ".",
                false);
            e.reopen = e.selected;
            app_editor_list(app);
        } else if (a.status == 412) {
            say(e, "Not saved: this survey was changed meanwhile. The current version is loaded again; make your change on it.", true);
            e.reopen = e.selected;
            app_editor_list(app);
        } else {
            say(e, std::string(e.restoring ? "Not restored: " : "Not saved: ") + answer_sentence(a), true);
        }
        e.restoring = false;
    }
}

std::string app_editor_json(const app_state& app) {
    const editor_state& e = app.editor;
    ojson surveys = ojson::array(), versions = ojson::array(), errors = ojson::array();
    for (const survey_entry& s : e.surveys) surveys.push_back(s.id);
    for (const survey_entry& v : e.versions)
        versions.push_back({{"version", v.version}, {"by", v.by}, {"at", v.at}, {"deleted", v.deleted}});
    for (const definition_error& d : e.errors)
        errors.push_back({{"field", d.field}, {"code", definition_code_name(d.code)}, {"message", d.message}});
    ojson j = {{"open", e.open},
               {"listed", e.listed},
               {"surveys", surveys},
               {"selected", e.selected},
               {"version", e.base_version},
               {"etag", e.base_etag},
               {"draft", e.draft},
               {"dirty", e.dirty},
               {"errors", errors},
               {"versions", versions},
               {"message", e.message},
               {"message_is_error", e.message_is_error},
               {"saving", e.save_req != 0},
               {"previews", e.previews},
               {"preview_pending", e.preview_due_ms != 0},
               {"previewed", e.previewed}};
    return dump(j, -1);
}

}  // namespace npskit::dashboard
