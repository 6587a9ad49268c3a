package main

import (
	"flag"
	"fmt"
	"time"

	"github.com/opaygate/opaygate"
)

// DashboardConfig configures the merchant dashboard's sessions (docs/DASHBOARD.md).
type DashboardConfig struct {
	IdleTimeout     time.Duration // a session ends after this long without a request
	SessionLifetime time.Duration // and this long after login in any case
}

// DefaultDashboardConfig is opaygate.DefaultSessionPolicy: 30 minutes idle, 12 hours at most.
func DefaultDashboardConfig() DashboardConfig {
	p := opaygate.DefaultSessionPolicy()
	return DashboardConfig{IdleTimeout: p.Idle, SessionLifetime: p.Absolute}
}

func (c *DashboardConfig) applyEnv(getenv func(string) string) error {
	for _, d := range []struct {
		name string
		dst  *time.Duration
	}{
		{"OPAYGATE_DASHBOARD_IDLE_TIMEOUT", &c.IdleTimeout},
		{"OPAYGATE_DASHBOARD_SESSION_LIFETIME", &c.SessionLifetime},
	} {
		if v := getenv(d.name); v != "" {
			parsed, err := time.ParseDuration(v)
			if err != nil {
				return fmt.Errorf("%s=%q is not a duration (e.g. 30m)", d.name, v)
			}
			*d.dst = parsed
		}
	}
	return nil
}

func (c *DashboardConfig) registerFlags(fs *flag.FlagSet) {
	fs.DurationVar(&c.IdleTimeout, "dashboard-idle-timeout", c.IdleTimeout,
		"a dashboard session ends after this long without a request (OPAYGATE_DASHBOARD_IDLE_TIMEOUT)")
	fs.DurationVar(&c.SessionLifetime, "dashboard-session-lifetime", c.SessionLifetime,
		"a dashboard session ends this long after login in any case (OPAYGATE_DASHBOARD_SESSION_LIFETIME)")
}

// Validate checks that sessions can live at all and that the idle timeout fits in the lifetime.
func (c *DashboardConfig) Validate() error {
	switch {
	case c.IdleTimeout < time.Minute:
		return fmt.Errorf("--dashboard-idle-timeout %s must be at least 1m", c.IdleTimeout)
	case c.SessionLifetime < c.IdleTimeout:
		return fmt.Errorf("--dashboard-session-lifetime %s must not be shorter than --dashboard-idle-timeout %s",
			c.SessionLifetime, c.IdleTimeout)
	}
	return nil
}

// policy is the configuration as the server takes it.
func (c DashboardConfig) policy() opaygate.SessionPolicy {
	return opaygate.SessionPolicy{Idle: c.IdleTimeout, Absolute: c.SessionLifetime}
}
