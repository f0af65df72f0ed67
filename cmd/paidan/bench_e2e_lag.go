package main

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// eventLagMetric is the server's histogram of live projection lag: for every
// event, the store's commit to the read model's commit.
const eventLagMetric = "paidan_projection_event_lag_seconds"

// lagBucket is one cumulative bucket of a scraped histogram.
type lagBucket struct {
	le    float64
	count float64
}

// lagScrape holds each projection's cumulative buckets, sorted by bound.
type lagScrape map[string][]lagBucket

// scrapeEventLag reads the event-lag histogram from the server's /metrics,
// as Prometheus would scrape it.
func scrapeEventLag(ctx context.Context, client *http.Client, root string) (lagScrape, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, root+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape /metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape /metrics: status %d", resp.StatusCode)
	}
	out := lagScrape{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, eventLagMetric+"_bucket{") {
			continue
		}
		labels, value, ok := strings.Cut(line[len(eventLagMetric+"_bucket{"):], "} ")
		if !ok {
			return nil, fmt.Errorf("scrape /metrics: unexpected line %q", line)
		}
		proj, le := labelValue(labels, "projection"), labelValue(labels, "le")
		bound, err1 := strconv.ParseFloat(le, 64)
		if le == "+Inf" {
			bound, err1 = math.Inf(1), nil
		}
		n, err2 := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if proj == "" || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("scrape /metrics: unexpected line %q", line)
		}
		out[proj] = append(out[proj], lagBucket{le: bound, count: n})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("scrape /metrics: %w", err)
	}
	for _, b := range out {
		sort.Slice(b, func(i, j int) bool { return b[i].le < b[j].le })
	}
	return out, nil
}

// labelValue returns the value of label name in a Prometheus label list.
func labelValue(labels, name string) string {
	for _, kv := range strings.Split(labels, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if ok && k == name {
			return strings.Trim(v, `"`)
		}
	}
	return ""
}

// lagQuantile is quantile q, in milliseconds, of the events observed between
// two scrapes of one projection's histogram, interpolated linearly inside its
// bucket as Prometheus's histogram_quantile does; n is how many events.
func lagQuantile(before, after []lagBucket, q float64) (ms float64, n float64) {
	if len(after) == 0 {
		return 0, 0
	}
	delta := make([]lagBucket, len(after))
	for i, b := range after {
		delta[i] = b
		for _, o := range before {
			if o.le == b.le {
				delta[i].count -= o.count
			}
		}
	}
	n = delta[len(delta)-1].count
	if n <= 0 {
		return 0, 0
	}
	rank := q * n
	lower, below := 0.0, 0.0
	for _, b := range delta {
		if b.count >= rank {
			if math.IsInf(b.le, 1) {
				return lower * 1000, n // beyond the last bound: report the bound
			}
			in := b.count - below
			if in <= 0 {
				return b.le * 1000, n
			}
			return (lower + (b.le-lower)*(rank-below)/in) * 1000, n
		}
		lower, below = b.le, b.count
	}
	return lower * 1000, n
}
