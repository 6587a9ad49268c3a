package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCLI_Healthcheck(t *testing.T) {
	m, _, _ := MustMain(t)
	code, stdout, stderr := RunCLI(t, nil, "", "healthcheck", "--url", m.URL+"/healthz")
	if code != 0 || !strings.Contains(stdout, `"status":"ok"`) {
		t.Fatalf("healthy gateway: exit %d\n%s%s", code, stdout, stderr)
	}
	sick := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"status":"unavailable"}`, http.StatusServiceUnavailable)
	}))
	defer sick.Close()
	code, _, stderr = RunCLI(t, nil, "", "healthcheck", "--url", sick.URL+"/healthz")
	if code != exitError || !strings.Contains(stderr, "HTTP 503") {
		t.Fatalf("sick gateway: exit %d %q", code, stderr)
	}
	if code, _, stderr = RunCLI(t, nil, "", "healthcheck", "--url", "localhost:8080"); code != exitUsage {
		t.Fatalf("bad URL: exit %d %q", code, stderr)
	}
}

func TestHealthzURL(t *testing.T) {
	for addr, want := range map[string]string{
		"":               "http://127.0.0.1:8080/healthz",
		"0.0.0.0:9000":   "http://127.0.0.1:9000/healthz",
		":9000":          "http://127.0.0.1:9000/healthz",
		"[::]:9000":      "http://127.0.0.1:9000/healthz",
		"10.0.0.5:8080":  "http://10.0.0.5:8080/healthz",
		"127.0.0.1:8081": "http://127.0.0.1:8081/healthz",
	} {
		if got := healthzURL(addr); got != want {
			t.Errorf("healthzURL(%q) = %q, want %q", addr, got, want)
		}
	}
}
