// npskit collector: what pg_storage.cpp and pg_bulk.cpp share on a libpq connection: a result
// that clears itself, the connection's last error as a sentence, array literals for bound
// parameters (data, never SQL), and a batch's rollup moves as the "…_add" statements' arrays.
#pragma once
#include <libpq-fe.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "rollups.h"

namespace npskit::pg {

struct result {
    PGresult* r = nullptr;
    explicit result(PGresult* p) : r(p) {}
    result(const result&) = delete;
    result& operator=(const result&) = delete;
    ~result() {
        if (r) PQclear(r);
    }
    bool ok() const {
        ExecStatusType s = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
        return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
    }
    int rows() const { return PQntuples(r); }
    std::string text(int row, int col) const { return std::string(PQgetvalue(r, row, col), static_cast<size_t>(PQgetlength(r, row, col))); }
    uint64_t number(int row, int col) const { return std::strtoull(PQgetvalue(r, row, col), nullptr, 10); }
};

inline std::string message_of(PGconn* c) {
    std::string m = c ? PQerrorMessage(c) : "no connection";
    while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
    return m.empty() ? "PostgreSQL error" : m;
}

// One item of a PostgreSQL array literal bound as a parameter ({"a","b\"c",NULL}): data, not SQL.
inline void append_array_item(std::string& out, const std::string* item) {
    out += out.size() == 1 ? "" : ",";
    if (!item) {
        out += "NULL";
        return;
    }
    out += '"';
    for (char ch : *item) {
        if (ch == '"' || ch == '\\') out += '\\';
        out += ch;
    }
    out += '"';
}

// A batch's net rollup moves (rollups.h) as the array parameters of pg_storage.cpp's four
// "…_add" statements: half-hour and day cells, survey-level and by attribute. Every write path
// (write(), the bulk load, migration 8's rebuild) goes through it: one mapping of cells to tables.
struct rollup_arrays {
    std::string s_survey = "{", s_half = "{", s_slot = "{", s_n = "{";
    std::string a_survey = "{", a_key = "{", a_value = "{", a_half = "{", a_slot = "{", a_n = "{";
    std::string ds_survey = "{", ds_day = "{", ds_slot = "{", ds_n = "{";
    std::string da_survey = "{", da_key = "{", da_value = "{", da_day = "{", da_slot = "{", da_n = "{";
    explicit rollup_arrays(const std::vector<rollup_move>& moves) {
        for (const rollup_move& m : moves) {
            std::string at = std::to_string(m.cell.at), slot = std::to_string(m.cell.slot), n = std::to_string(m.delta);
            const bool day = m.cell.unit == rollup_unit::day, attr = !m.cell.key.empty();
            append_array_item(day ? (attr ? da_survey : ds_survey) : (attr ? a_survey : s_survey), &m.cell.survey);
            if (attr) {
                append_array_item(day ? da_key : a_key, &m.cell.key);
                append_array_item(day ? da_value : a_value, &m.cell.value);
            }
            append_array_item(day ? (attr ? da_day : ds_day) : (attr ? a_half : s_half), &at);
            append_array_item(day ? (attr ? da_slot : ds_slot) : (attr ? a_slot : s_slot), &slot);
            append_array_item(day ? (attr ? da_n : ds_n) : (attr ? a_n : s_n), &n);
        }
        for (std::string* a : {&s_survey,  &s_half, &s_slot,  &s_n,  &a_survey,  &a_key,  &a_value,  &a_half, &a_slot,  &a_n,
                               &ds_survey, &ds_day, &ds_slot, &ds_n, &da_survey, &da_key, &da_value, &da_day, &da_slot, &da_n})
            *a += '}';
    }
    rollup_arrays(const rollup_arrays&) = delete;  // the calls point at the members
    rollup_arrays& operator=(const rollup_arrays&) = delete;
    // f(statement name, its parameters), once per table.
    template <class F>
    void each_call(F&& f) const {
        f("rollup_half_scores_add", std::vector<const std::string*>{&s_survey, &s_half, &s_slot, &s_n});
        f("rollup_half_attributes_add", std::vector<const std::string*>{&a_survey, &a_key, &a_value, &a_half, &a_slot, &a_n});
        f("rollup_day_scores_add", std::vector<const std::string*>{&ds_survey, &ds_day, &ds_slot, &ds_n});
        f("rollup_day_attributes_add", std::vector<const std::string*>{&da_survey, &da_key, &da_value, &da_day, &da_slot, &da_n});
    }
};

// The attribute keys a batch registers (rollups.h rollup_registry's `added`) as the array
// parameters of "rollup_keys_add".
struct key_arrays {
    std::string survey = "{", key = "{";
    explicit key_arrays(const std::vector<std::pair<std::string, std::string>>& added) {
        for (const auto& [s, k] : added) {
            append_array_item(survey, &s);
            append_array_item(key, &k);
        }
        survey += '}';
        key += '}';
    }
};

}  // namespace npskit::pg
