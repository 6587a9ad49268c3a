package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/opaygate/opaygate/reqlog"
	"github.com/opaygate/opaygate/server"
)

// Modes of serve.
const (
	ModeSandbox = "sandbox"
	ModeLive    = "live"
)

// Config is everything serve needs to know. Defaults come from DefaultConfig,
// then OPAYGATE_* environment variables, then flags; Validate checks the
// result before anything starts.
type Config struct {
	Addr          string        // listen address
	PublicURL     string        // base of cashierUrl and invoiceLink; "" = http://<addr>
	DB            string        // SQLite file, sqlite:PATH or postgres://…
	Mode          string        // sandbox or live
	LogLevel      string        // debug, info, warn or error
	LogFormat     string        // text or json
	NoMigrate     bool          // do not apply pending migrations at start-up
	SweepInterval time.Duration // how often expired orders are closed for good
	// SandboxAutopay, when positive, makes the sandbox do the customer's step of an order
	// waiting outside the API (QR, wallet, USSD) that long after it was created; 0 is off.
	SandboxAutopay time.Duration

	// DBMaxConns caps the node's database connections; 0 keeps the
	// default of package sqlstore (see sqlstore.DefaultMaxConns). With N
	// nodes on one PostgreSQL, N × DBMaxConns must stay below the server's
	// max_connections.
	DBMaxConns int
	// RequestTimeout bounds every request, so that a database that stopped
	// answering turns into 50003 instead of a client left waiting.
	RequestTimeout time.Duration
	// MaxBodyBytesInFlight bounds the bytes of API request bodies the node
	// holds at once, and BodyTimeout how long one body may take to arrive,
	// so that stalled clients cannot grow it without bound.
	MaxBodyBytesInFlight int64
	BodyTimeout          time.Duration
	// RequestLog is how many of each merchant's newest API requests the
	// request log keeps (package reqlog); 0 turns it off.
	RequestLog int

	// SandboxToken is required on the sandbox's /_sandbox/ routes when set;
	// when not, a sandbox reachable from the network generates one at start
	// (sandbox.go). Never logged.
	SandboxToken string
	// DataDir is where the sandbox writes its files: the demo merchants' payout private
	// keys (sandbox-payout-<merchantId>.pem). "" = the SQLite file's directory; a database
	// without a file (PostgreSQL) has none, and its demo merchants no payout keys.
	DataDir string

	// Callbacks configures callback delivery and sandbox refunds
	// (callback.go, docs/CALLBACKS.md).
	Callbacks CallbackConfig

	// Dashboard configures the merchant dashboard's sessions (dashboard.go).
	Dashboard DashboardConfig
}

// DefaultConfig returns the configuration of a bare `opaygate serve`.
func DefaultConfig() Config {
	return Config{
		Addr:          "127.0.0.1:8080",
		DB:            "./opaygate.db",
		Mode:          ModeSandbox,
		LogLevel:      "info",
		LogFormat:     "text",
		SweepInterval: time.Second,

		RequestTimeout:       DefaultRequestTimeout,
		MaxBodyBytesInFlight: server.DefaultMaxBodyBytesInFlight,
		BodyTimeout:          server.DefaultBodyTimeout,
		RequestLog:           reqlog.DefaultKeep,
		Callbacks:            DefaultCallbackConfig(),
		Dashboard:            DefaultDashboardConfig(),
	}
}

// DefaultRequestTimeout is long enough for any healthy request (they take
// milliseconds) and short enough that a client sees 50003 before it gives up.
const DefaultRequestTimeout = 5 * time.Second

// minBodyBytesInFlight is the smallest body budget that admits the largest
// body: bodies over 64 KiB may fill only half of it.
const minBodyBytesInFlight = 2 << 20

// envDB is the environment variable every command reads the database from.
const envDB = "OPAYGATE_DB"

// applyEnv overrides c with the OPAYGATE_* variables that are set.
func (c *Config) applyEnv(getenv func(string) string) error {
	str := func(name string, dst *string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	str("OPAYGATE_ADDR", &c.Addr)
	str("OPAYGATE_PUBLIC_URL", &c.PublicURL)
	str(envDB, &c.DB)
	str("OPAYGATE_MODE", &c.Mode)
	str("OPAYGATE_LOG_LEVEL", &c.LogLevel)
	str("OPAYGATE_LOG_FORMAT", &c.LogFormat)
	str("OPAYGATE_SANDBOX_TOKEN", &c.SandboxToken)
	str("OPAYGATE_DATA_DIR", &c.DataDir)
	if v := getenv("OPAYGATE_NO_MIGRATE"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("OPAYGATE_NO_MIGRATE=%q is not a boolean", v)
		}
		c.NoMigrate = b
	}
	if v := getenv("OPAYGATE_SWEEP_INTERVAL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("OPAYGATE_SWEEP_INTERVAL=%q is not a duration (e.g. 1s)", v)
		}
		c.SweepInterval = d
	}
	if v := getenv("OPAYGATE_SANDBOX_AUTOPAY"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("OPAYGATE_SANDBOX_AUTOPAY=%q is not a duration (e.g. 10s)", v)
		}
		c.SandboxAutopay = d
	}
	if v := getenv("OPAYGATE_DB_MAX_CONNS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("OPAYGATE_DB_MAX_CONNS=%q is not an integer", v)
		}
		c.DBMaxConns = n
	}
	if v := getenv("OPAYGATE_REQUEST_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("OPAYGATE_REQUEST_TIMEOUT=%q is not a duration (e.g. 5s)", v)
		}
		c.RequestTimeout = d
	}
	if v := getenv("OPAYGATE_MAX_BODY_BYTES_IN_FLIGHT"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("OPAYGATE_MAX_BODY_BYTES_IN_FLIGHT=%q is not an integer", v)
		}
		c.MaxBodyBytesInFlight = n
	}
	if v := getenv("OPAYGATE_BODY_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("OPAYGATE_BODY_TIMEOUT=%q is not a duration (e.g. 5s)", v)
		}
		c.BodyTimeout = d
	}
	if v := getenv("OPAYGATE_REQUEST_LOG"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("OPAYGATE_REQUEST_LOG=%q is not an integer", v)
		}
		c.RequestLog = n
	}
	if err := c.Callbacks.applyEnv(getenv); err != nil {
		return err
	}
	return c.Dashboard.applyEnv(getenv)
}

// registerFlags binds serve's flags to c; their defaults are c's current
// values, so the environment shows through where no flag is given.
func (c *Config) registerFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", c.Addr, "listen `address` (OPAYGATE_ADDR)")
	fs.StringVar(&c.PublicURL, "public-url", c.PublicURL,
		"public base `URL` used in cashierUrl and invoiceLink; default http://<addr> (OPAYGATE_PUBLIC_URL)")
	registerDBFlag(fs, &c.DB)
	fs.StringVar(&c.Mode, "mode", c.Mode, "sandbox or live (OPAYGATE_MODE)")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error (OPAYGATE_LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "text or json (OPAYGATE_LOG_FORMAT)")
	fs.BoolVar(&c.NoMigrate, "no-migrate", c.NoMigrate,
		"do not apply pending migrations at start-up (OPAYGATE_NO_MIGRATE)")
	fs.DurationVar(&c.SweepInterval, "sweep-interval", c.SweepInterval,
		"how often expired orders are closed for good (OPAYGATE_SWEEP_INTERVAL)")
	fs.DurationVar(&c.SandboxAutopay, "sandbox-autopay", c.SandboxAutopay,
		"sandbox: pay orders waiting outside the API (QR, wallet, USSD) this long after creation; 0 = off (OPAYGATE_SANDBOX_AUTOPAY)")
	fs.IntVar(&c.DBMaxConns, "db-max-conns", c.DBMaxConns,
		"most database connections this node opens; 0 = max(8, 4 × CPUs) on PostgreSQL (OPAYGATE_DB_MAX_CONNS)")
	fs.DurationVar(&c.RequestTimeout, "request-timeout", c.RequestTimeout,
		"longest a request may take before it answers 50003 (OPAYGATE_REQUEST_TIMEOUT)")
	fs.StringVar(&c.SandboxToken, "sandbox-token", c.SandboxToken,
		"`token` the /_sandbox/ routes require; default: none on loopback, generated when reachable from the network (OPAYGATE_SANDBOX_TOKEN, which ps does not show)")
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir,
		"sandbox: `directory` of the demo merchants' payout private keys; default: the SQLite file's; none for PostgreSQL (OPAYGATE_DATA_DIR)")
	fs.Int64Var(&c.MaxBodyBytesInFlight, "max-body-bytes-in-flight", c.MaxBodyBytesInFlight,
		"most `bytes` of API request bodies held at once; beyond, requests answer 50003 at once (OPAYGATE_MAX_BODY_BYTES_IN_FLIGHT)")
	fs.DurationVar(&c.BodyTimeout, "body-timeout", c.BodyTimeout,
		"longest an API request body may take to arrive once its headers are in (OPAYGATE_BODY_TIMEOUT)")
	fs.IntVar(&c.RequestLog, "request-log", c.RequestLog,
		"newest API requests kept per merchant in the request log; 0 = no log (OPAYGATE_REQUEST_LOG)")
	c.Callbacks.registerFlags(fs)
	c.Dashboard.registerFlags(fs)
}

// registerDBFlag adds --db, the one flag every database command shares.
func registerDBFlag(fs *flag.FlagSet, dst *string) {
	fs.StringVar(dst, "db", *dst, "database: a SQLite file, sqlite:PATH or postgres://… (OPAYGATE_DB)")
}

// dbFromEnv is the --db default of the commands other than serve.
func dbFromEnv(getenv func(string) string) string {
	if v := getenv(envDB); v != "" {
		return v
	}
	return DefaultConfig().DB
}

// Validate reports the first setting that cannot work.
func (c *Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("--addr %q is not host:port", c.Addr)
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("--public-url %q is not an http(s) URL", c.PublicURL)
		}
	}
	if c.DB == "" {
		return errors.New("--db is empty")
	}
	if c.Mode != ModeSandbox && c.Mode != ModeLive {
		return fmt.Errorf("--mode %q is neither sandbox nor live", c.Mode)
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		return err
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("--log-format %q is neither text nor json", c.LogFormat)
	}
	if c.SweepInterval <= 0 {
		return fmt.Errorf("--sweep-interval %s must be positive", c.SweepInterval)
	}
	if c.SandboxAutopay < 0 {
		return fmt.Errorf("--sandbox-autopay %s must not be negative", c.SandboxAutopay)
	}
	if c.SandboxAutopay > 0 && c.Mode == ModeLive {
		return errors.New("--sandbox-autopay is a sandbox setting; a live gateway pays only what the network reports")
	}
	if c.DBMaxConns < 0 {
		return fmt.Errorf("--db-max-conns %d must be 0 (the default) or positive", c.DBMaxConns)
	}
	if c.RequestTimeout <= 0 {
		return fmt.Errorf("--request-timeout %s must be positive", c.RequestTimeout)
	}
	if c.SandboxToken != "" {
		if err := validSandboxToken(c.SandboxToken); err != nil {
			return err
		}
	}
	if c.MaxBodyBytesInFlight < minBodyBytesInFlight {
		return fmt.Errorf("--max-body-bytes-in-flight %d must be at least %d (two of the largest bodies, 1 MiB each)",
			c.MaxBodyBytesInFlight, minBodyBytesInFlight)
	}
	if c.BodyTimeout <= 0 {
		return fmt.Errorf("--body-timeout %s must be positive", c.BodyTimeout)
	}
	if c.RequestLog < 0 {
		return fmt.Errorf("--request-log %d must be 0 (no log) or positive", c.RequestLog)
	}
	if err := c.Callbacks.Validate(); err != nil {
		return err
	}
	return c.Dashboard.Validate()
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("--log-level %q is not one of debug, info, warn, error", s)
	}
	return l, nil
}

// publicURL is the configured public URL, or one derived from the address
// the server actually listens on (so port 0 resolves to the real port).
func (c *Config) publicURL(listening net.Addr) string {
	if c.PublicURL != "" {
		return strings.TrimRight(c.PublicURL, "/")
	}
	host, port, err := net.SplitHostPort(listening.String())
	if err != nil {
		return "http://" + listening.String()
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// newLogger returns the server's structured logger on w.
func (c *Config) newLogger(w io.Writer) *slog.Logger {
	level, _ := parseLevel(c.LogLevel)
	opts := &slog.HandlerOptions{Level: level}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// describeDB names the database for humans: an absolute file path, or the
// PostgreSQL URL without its password.
func describeDB(dsn string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		if u, err := url.Parse(dsn); err == nil {
			return u.Redacted()
		}
		return "postgres (URL not shown)"
	}
	path := strings.TrimPrefix(dsn, "sqlite:")
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	return "SQLite " + path
}
