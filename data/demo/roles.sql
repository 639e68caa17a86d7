-- Cluster-wide roles of the reference M11.1 environment.
-- bridge_owner owns the tables and cannot log in; bridge_app is the application's login role:
-- it owns nothing, is not a superuser and has no BYPASSRLS.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bridge_owner') THEN
    CREATE ROLE bridge_owner NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bridge_app') THEN
    CREATE ROLE bridge_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB PASSWORD 'bridge-demo-app';
  END IF;
END $$;
