// npskit collector: survey definitions on PostgreSQL (pg_surveys.h). One connection under a
// mutex, reopened when it breaks; a PUT serialises per survey id with a transaction-scoped
// advisory lock, so two collectors on one database number versions without a gap or a clash.
#include "pg_surveys.h"

#include "pg_util.h"

#include <libpq-fe.h>

#include <cstdlib>
#include <mutex>

namespace npskit {
namespace {

using pg_result = pg::result;

constexpr const char* columns = "SELECT id, version, body, actor, at_ms, deleted FROM survey_versions ";

class pg_surveys final : public survey_store {
public:
    ~pg_surveys() override {
        if (c_) PQfinish(c_);
    }
    bool connect(std::string& error) {
        if (c_ && PQstatus(c_) == CONNECTION_OK) return true;
        if (c_) PQfinish(c_);
        std::string timeout = std::to_string(timeout_s_);
        const char* keys[] = {"connect_timeout", "application_name", "dbname", nullptr};
        const char* values[] = {timeout.c_str(), "npskit-collector", url_.c_str(), nullptr};
        c_ = PQconnectdbParams(keys, values, 1);
        if (PQstatus(c_) == CONNECTION_OK) return true;
        error = message();
        return false;
    }

    bool get(const std::string& id, survey_version& out, bool& found, std::string& error) override {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!connect(error) || !latest(id, out, found, error)) return false;
        found = found && !out.deleted;
        return true;
    }

    bool put(survey_version& v, uint64_t expect_version, survey_write& outcome, std::string& error) override {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!connect(error) || !exec("BEGIN", error)) return false;
        const char* lock_args[] = {v.id.c_str()};
        pg_result locked(
            PQexecParams(c_, "SELECT pg_advisory_xact_lock(1853058925, hashtext($1::text))", 1, nullptr, lock_args, nullptr, nullptr, 0));
        survey_version cur;
        bool found = false;
        bool ok = locked.ok() && latest(v.id, cur, found, error);
        bool live = ok && found && !cur.deleted;
        if (!locked.ok()) error = message();
        if (!ok) {
        } else if (expect_version != 0 && (!live || cur.version != expect_version)) {
            outcome = survey_write::precondition_failed;
        } else if (v.deleted && !live) {
            outcome = survey_write::not_found;
        } else if (!v.deleted && live && cur.body == v.body) {
            outcome = survey_write::unchanged;
            v = cur;
        } else {
            v.version = found ? cur.version + 1 : 1;
            std::string version = std::to_string(v.version), at = std::to_string(v.at_ms);
            const char* args[] = {v.id.c_str(), version.c_str(), v.body.c_str(), v.actor.c_str(), at.c_str(), v.deleted ? "t" : "f"};
            int lengths[] = {0, 0, static_cast<int>(v.body.size()), static_cast<int>(v.actor.size()), 0, 0};
            pg_result r(PQexecParams(c_,
                                     "INSERT INTO survey_versions (id, version, body, actor, at_ms, deleted) "
                                     "VALUES ($1::text, $2::bigint, $3::text, $4::text, $5::bigint, $6::boolean)",
                                     6, nullptr, args, lengths, nullptr, 0));
            ok = r.ok();
            if (!ok) error = message();
            outcome = survey_write::done;
        }
        std::string ignored;
        if (!ok) return exec("ROLLBACK", ignored), false;
        return exec("COMMIT", error);
    }

    bool list(std::vector<survey_version>& out, std::string& error) override {
        std::lock_guard<std::mutex> lock(mutex_);
        return connect(error) &&
               select(std::string(columns) +
                          "v WHERE NOT deleted AND version = (SELECT MAX(version) FROM survey_versions w WHERE w.id = v.id) ORDER BY id",
                      nullptr, out, error);
    }

    bool versions(const std::string& id, std::vector<survey_version>& out, std::string& error) override {
        std::lock_guard<std::mutex> lock(mutex_);
        return connect(error) && select(std::string(columns) + "WHERE id = $1::text ORDER BY version DESC", &id, out, error);
    }

    std::string url_;
    int timeout_s_ = 3;

private:
    std::string message() const {
        std::string m = c_ ? PQerrorMessage(c_) : "no connection";
        while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
        return m.empty() ? "PostgreSQL error" : m;
    }
    bool exec(const char* sql, std::string& error) {
        pg_result r(PQexec(c_, sql));
        if (r.ok()) return true;
        error = message();
        return false;
    }
    bool latest(const std::string& id, survey_version& out, bool& found, std::string& error) {
        std::vector<survey_version> rows;
        if (!select(std::string(columns) + "WHERE id = $1::text ORDER BY version DESC LIMIT 1", &id, rows, error)) return false;
        found = !rows.empty();
        if (found) out = std::move(rows[0]);
        return true;
    }
    bool select(const std::string& sql, const std::string* id, std::vector<survey_version>& out, std::string& error) {
        out.clear();
        const char* args[] = {id ? id->c_str() : nullptr};
        pg_result r(PQexecParams(c_, sql.c_str(), id ? 1 : 0, nullptr, id ? args : nullptr, nullptr, nullptr, 0));
        if (!r.ok()) {
            error = message();
            return false;
        }
        for (int i = 0; i < PQntuples(r.r); ++i)
            out.push_back({r.text(i, 0), std::strtoull(PQgetvalue(r.r, i, 1), nullptr, 10), r.text(i, 2), r.text(i, 3),
                           std::strtoll(PQgetvalue(r.r, i, 4), nullptr, 10), r.text(i, 5) == "t"});
        return true;
    }

    PGconn* c_ = nullptr;
    std::mutex mutex_;
};

}  // namespace

std::unique_ptr<survey_store> open_pg_surveys(const std::string& url, int connect_timeout_s, std::string& error) {
    auto s = std::make_unique<pg_surveys>();
    s->url_ = url;
    s->timeout_s_ = connect_timeout_s;
    if (!s->connect(error)) return nullptr;
    return s;
}

}  // namespace npskit
