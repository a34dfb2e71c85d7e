/*
 * migrations.h -- the schema migrations compiled into the module.
 *
 * scripts/embed-sql turns sql/migrations/NNN_name.sql into the table
 * awc_migrations[] (ordered by number, ended by a zero entry).  The store
 * applies each number once and records it in schema_migrations.
 */
#ifndef AWC_MIGRATIONS_H
#define AWC_MIGRATIONS_H

typedef struct awc_migration {
    int version;
    const char *name;
    const char *sql;               /* statements separated by ";\n" */
} awc_migration;

extern const awc_migration awc_migrations[];

#endif /* AWC_MIGRATIONS_H */
