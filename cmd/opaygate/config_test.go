package main

import (
	"flag"
	"io"
	"net"
	"testing"
	"time"
)

func TestConfig_Precedence(t *testing.T) {
	env := map[string]string{
		"OPAYGATE_ADDR":            "0.0.0.0:9000",
		"OPAYGATE_DB":              "/tmp/env.db",
		"OPAYGATE_MODE":            "live",
		"OPAYGATE_SWEEP_INTERVAL":  "5s",
		"OPAYGATE_NO_MIGRATE":      "true",
		"OPAYGATE_DB_MAX_CONNS":    "12",
		"OPAYGATE_SANDBOX_AUTOPAY": "1m",

		"OPAYGATE_MAX_BODY_BYTES_IN_FLIGHT": "8388608",
		"OPAYGATE_REQUEST_LOG":              "50",
	}
	cfg := DefaultConfig()
	if err := cfg.applyEnv(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg.registerFlags(fs)
	if err := fs.Parse([]string{"--mode", "sandbox", "--log-format", "json", "--request-timeout", "3s", "--sandbox-autopay", "20s", "--body-timeout", "2s", "--request-log", "200"}); err != nil {
		t.Fatal(err)
	}
	want := Config{
		Addr: "0.0.0.0:9000", DB: "/tmp/env.db", Mode: "sandbox", LogLevel: "info",
		LogFormat: "json", NoMigrate: true, SweepInterval: 5 * time.Second, SandboxAutopay: 20 * time.Second,
		DBMaxConns: 12, RequestTimeout: 3 * time.Second, MaxBodyBytesInFlight: 8 << 20,
		BodyTimeout: 2 * time.Second, RequestLog: 200, Callbacks: DefaultCallbackConfig(),
		Dashboard: DefaultDashboardConfig(),
	}
	if cfg != want {
		t.Fatalf("config %+v\nwant   %+v", cfg, want)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestConfig_ErrBadEnvironment(t *testing.T) {
	for k, v := range map[string]string{"OPAYGATE_SWEEP_INTERVAL": "often", "OPAYGATE_NO_MIGRATE": "perhaps",
		"OPAYGATE_DB_MAX_CONNS": "many", "OPAYGATE_REQUEST_TIMEOUT": "5", "OPAYGATE_SANDBOX_AUTOPAY": "soon",
		"OPAYGATE_MAX_BODY_BYTES_IN_FLIGHT": "64MiB", "OPAYGATE_BODY_TIMEOUT": "5", "OPAYGATE_REQUEST_LOG": "lots"} {
		cfg := DefaultConfig()
		if err := cfg.applyEnv(func(name string) string {
			if name == k {
				return v
			}
			return ""
		}); err == nil {
			t.Errorf("%s=%s accepted", k, v)
		}
	}
}

func TestConfig_Validate(t *testing.T) {
	for name, change := range map[string]func(*Config){
		"ErrAddr":          func(c *Config) { c.Addr = "localhost" },
		"ErrPublicURL":     func(c *Config) { c.PublicURL = "pay.example.com" },
		"ErrDB":            func(c *Config) { c.DB = "" },
		"ErrMode":          func(c *Config) { c.Mode = "test" },
		"ErrLogLevel":      func(c *Config) { c.LogLevel = "loud" },
		"ErrLogFormat":     func(c *Config) { c.LogFormat = "xml" },
		"ErrSweepInterval": func(c *Config) { c.SweepInterval = 0 },
		"ErrDBMaxConns":    func(c *Config) { c.DBMaxConns = -1 },
		"ErrTimeout":       func(c *Config) { c.RequestTimeout = 0 },
		"ErrRequestLog":    func(c *Config) { c.RequestLog = -1 },
		"ErrAutopayLive":   func(c *Config) { c.Mode, c.SandboxAutopay = ModeLive, time.Second },
		"ErrAutopayNeg":    func(c *Config) { c.SandboxAutopay = -time.Second },
		"ErrBodyBudget":    func(c *Config) { c.MaxBodyBytesInFlight = 1 << 20 },
		"ErrBodyTimeout":   func(c *Config) { c.BodyTimeout = 0 },
	} {
		cfg := DefaultConfig()
		change(&cfg)
		if err := cfg.Validate(); err == nil {
			t.Errorf("%s: %+v is valid", name, cfg)
		}
	}
	if cfg := DefaultConfig(); cfg.Validate() != nil {
		t.Errorf("the default config is invalid: %v", cfg.Validate())
	}
}

func TestConfig_PublicURL(t *testing.T) {
	for _, tc := range []struct{ public, listen, want string }{
		{"", "127.0.0.1:8080", "http://127.0.0.1:8080"},
		{"", "0.0.0.0:8080", "http://localhost:8080"},
		{"", "[::]:8080", "http://localhost:8080"},
		{"https://pay.example.com/", "0.0.0.0:8080", "https://pay.example.com"},
	} {
		addr, _ := net.ResolveTCPAddr("tcp", tc.listen)
		cfg := Config{PublicURL: tc.public}
		if got := cfg.publicURL(addr); got != tc.want {
			t.Errorf("publicURL(%q, %s) = %q, want %q", tc.public, tc.listen, got, tc.want)
		}
	}
}

func TestDescribeDB(t *testing.T) {
	if got := describeDB("postgres://u:secret@db:5432/x"); got != "postgres://u:xxxxx@db:5432/x" {
		t.Errorf("describeDB hides no password: %s", got)
	}
	if got := describeDB("sqlite:/var/lib/o.db"); got != "SQLite /var/lib/o.db" {
		t.Errorf("describeDB(sqlite:) = %s", got)
	}
}
