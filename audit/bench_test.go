package audit

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// BenchmarkWrite measures audit throughput (records/s) and per-record
// latency for each fsync policy, from 1 and from 8 goroutines. Set
// RWARDEN_BENCH_DIR to measure on a particular file system (the default is
// the test's temporary directory; a tmpfs makes fsync free and the figures
// meaningless).
func BenchmarkWrite(b *testing.B) {
	for _, fsync := range []string{FsyncInterval, FsyncAlways, FsyncBatch, FsyncNever} {
		for _, workers := range []int{1, 8} {
			b.Run(fmt.Sprintf("fsync=%s/goroutines=%d", fsync, workers), func(b *testing.B) {
				dir := b.TempDir()
				if d := os.Getenv("RWARDEN_BENCH_DIR"); d != "" {
					var err error
					if dir, err = os.MkdirTemp(d, "bench"); err != nil {
						b.Fatal(err)
					}
					b.Cleanup(func() { _ = os.RemoveAll(dir) })
				}
				l := openLog(b, Config{File: filepath.Join(dir, "audit.jsonl"), Fsync: fsync})
				recs := make([]*Record, 64)
				for i := range recs {
					recs[i] = sample(i)
				}
				b.ReportAllocs()
				b.ResetTimer()
				var wg sync.WaitGroup
				per := b.N / workers
				for w := 0; w < workers; w++ {
					n := per
					if w == 0 {
						n += b.N % workers
					}
					wg.Add(1)
					go func(w, n int) {
						defer wg.Done()
						for i := 0; i < n; i++ {
							r := *recs[(w*7+i)%len(recs)]
							if err := l.Write(context.Background(), &r); err != nil {
								b.Error(err)
								return
							}
						}
					}(w, n)
				}
				wg.Wait()
				b.StopTimer()
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
				b.ReportMetric(float64(b.N)/float64(l.commits.Load()), "records/commit")
			})
		}
	}
}

// BenchmarkVerify measures how fast a trail can be verified.
func BenchmarkVerify(b *testing.B) {
	file := filepath.Join(b.TempDir(), "audit.jsonl")
	l := openLog(b, Config{File: file, Fsync: FsyncNever})
	const n = 20000
	writeN(b, l, 0, n)
	if err := l.Close(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rep, err := Verify([]string{file})
		if err != nil || rep.Break != nil {
			b.Fatal(err, rep.Break)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
}
