// Command goproxy is the Go reference point of tools/bench/run.sh: a plain reverse proxy
// built only on the standard library's net/http/httputil.ReverseProxy, tuned just enough
// to be a fair keep-alive comparison (a pool of idle upstream connections big enough for
// the benchmark's client connections; Go's default keeps 2 per host and would reconnect).
//
// Usage: goproxy --listen=127.0.0.1:PORT --backend=127.0.0.1:PORT [--workers=N] [--ready_file=PATH]
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"runtime"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on (port 0: any free port)")
	backend := flag.String("backend", "", "upstream host:port")
	workers := flag.Int("workers", 1, "GOMAXPROCS: OS threads running Go code at once")
	readyFile := flag.String("ready_file", "", "written with the bound port once listening")
	idle := flag.Int("max_idle", 1024, "idle keep-alive connections kept to the backend")
	flag.Parse()
	if *backend == "" {
		log.Fatal("--backend is required")
	}
	// Same worker count as the other proxies in the comparison.
	runtime.GOMAXPROCS(*workers)

	target := &url.URL{Scheme: "http", Host: *backend}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.Transport = &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          *idle,
		MaxIdleConnsPerHost:   *idle,
		IdleConnTimeout:       90 * time.Second,
		DisableCompression:    true, // forward bodies as they are, like nginx and HAProxy
		ResponseHeaderTimeout: 15 * time.Second,
	}
	proxy.ErrorLog = log.New(os.Stderr, "goproxy: ", log.LstdFlags)

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatalf("listen %s: %v", *listen, err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if *readyFile != "" {
		// Write then rename, so a reader never sees a half-written file.
		tmp := *readyFile + ".tmp"
		if err := os.WriteFile(tmp, []byte(fmt.Sprintf("%d\n", port)), 0o644); err != nil {
			log.Fatal(err)
		}
		if err := os.Rename(tmp, *readyFile); err != nil {
			log.Fatal(err)
		}
	}

	srv := &http.Server{
		Handler:           proxy,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       60 * time.Second,
		ErrorLog:          proxy.ErrorLog,
	}
	log.Fatal(srv.Serve(ln))
}
