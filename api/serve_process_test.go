package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/paidan/paidan/api/auth"
	"github.com/paidan/paidan/domain"
)

// TestServeSurvivesKill builds `paidan serve`, places orders over HTTP from
// several clients at once, SIGKILLs the server while requests are in flight,
// restarts it on the same data directory and finds every order it
// acknowledged (201) through GET /api/v1/orders/{id}/events.
func TestServeSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "paidan")
	build := exec.Command("go", "build", "-o", bin, "github.com/paidan/paidan/cmd/paidan")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data := t.TempDir()
	secret := strings.Repeat("s", 40)
	mint, err := auth.NewHMAC([]byte(secret), auth.HMACConfig{})
	if err != nil {
		t.Fatal(err)
	}
	station := domain.DemoDirectory().Stations()[5].ID

	srv := startServe(t, bin, data, secret)
	const workers, wantAcks = 8, 120
	var (
		mu    sync.Mutex
		acked []string
	)
	enough := make(chan struct{})
	var once sync.Once
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range workers {
		tok, err := mint.Mint(domain.Actor{Subject: fmt.Sprintf("resident-%d", w), Role: domain.RoleResident}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 30 * time.Second}
			for {
				select {
				case <-stop:
					return
				default:
				}
				r, _ := http.NewRequest(http.MethodPost, srv.url+"/api/v1/orders", strings.NewReader(placeBody(station)))
				r.Header.Set("Authorization", "Bearer "+tok)
				r.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(r)
				if err != nil {
					continue // the server is gone; the stop signal follows
				}
				var out struct {
					OrderID string `json:"order_id"`
				}
				_ = json.NewDecoder(resp.Body).Decode(&out)
				resp.Body.Close()
				if resp.StatusCode == http.StatusTooManyRequests {
					continue
				}
				if resp.StatusCode != http.StatusCreated || out.OrderID == "" {
					t.Errorf("place: status %d, order %q", resp.StatusCode, out.OrderID)
					continue
				}
				mu.Lock()
				acked = append(acked, out.OrderID)
				if len(acked) >= wantAcks {
					once.Do(func() { close(enough) })
				}
				mu.Unlock()
			}
		}()
	}
	select {
	case <-enough:
	case <-time.After(2 * time.Minute):
		t.Error("the server acknowledged too few orders in two minutes")
	}
	// Killed while the workers are still sending.
	if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = srv.cmd.Wait()
	close(stop)
	wg.Wait()
	mu.Lock()
	ids := append([]string(nil), acked...)
	mu.Unlock()
	t.Logf("%d orders acknowledged before SIGKILL", len(ids))

	srv = startServe(t, bin, data, secret)
	client := &http.Client{Timeout: 30 * time.Second}
	for i, id := range ids {
		// A fresh auditor per 50 reads keeps under the per-subject rate limit.
		tok, _ := mint.Mint(domain.Actor{Subject: fmt.Sprintf("auditor-%d", i/50), Role: domain.RoleAuditor}, time.Hour)
		r, _ := http.NewRequest(http.MethodGet, srv.url+"/api/v1/orders/"+id+"/events", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		resp, err := client.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		var out struct {
			Events []struct {
				Type string `json:"type"`
			} `json:"events"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || len(out.Events) != 1 || out.Events[0].Type != domain.EventTypeOrderPlaced {
			t.Fatalf("acknowledged order %s after restart: status %d, events %+v; want its OrderPlaced", id, resp.StatusCode, out.Events)
		}
	}

	// SIGTERM shuts down gracefully: exit status 0.
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := srv.cmd.Wait(); err != nil {
		t.Fatalf("paidan serve after SIGTERM: %v; want a clean exit", err)
	}
}

type serveProcess struct {
	cmd *exec.Cmd
	url string
}

var listeningLine = regexp.MustCompile(`listening on (http://\S+)`)

// startServe starts the binary on a free port and waits for the line that
// says where it listens.
func startServe(t *testing.T, bin, data, secret string) *serveProcess {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "serve", "--http", "127.0.0.1:0", "--data", data)
	// Automatic dispatch off: with no team registered the dispatcher would
	// escalate each order, and the test counts exactly the orders' placements.
	cmd.Env = append(os.Environ(), "PAIDAN_JWT_SECRET="+secret, "PAIDAN_ESDB_URL=", "PAIDAN_LOG_LEVEL=warn",
		"PAIDAN_AUTO_DISPATCH=false")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := listeningLine.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
				break
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case url := <-found:
		return &serveProcess{cmd: cmd, url: url}
	case <-time.After(time.Minute):
		t.Fatal("paidan serve did not say where it listens within a minute")
		return nil
	}
}
