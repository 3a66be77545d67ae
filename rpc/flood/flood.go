package flood

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Answers counts a flood's answers by kind.
type Answers struct {
	Accepted int            // answered with a result
	Refused  map[string]int // answered with an error, by its data code
}

// Subscriptions opens one WebSocket to wsURL (with header) and asks for n
// "newFinalBlocks" subscriptions as fast as the connection takes them. It
// returns once every call is answered, leaving the connection (and the
// subscriptions the server granted) open until the caller closes it.
func Subscriptions(wsURL string, header http.Header, n int) (*websocket.Conn, Answers, error) {
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	c, _, err := d.Dial(wsURL, header)
	if err != nil {
		return nil, Answers{}, fmt.Errorf("dial %s: %w", wsURL, err)
	}
	ans := Answers{Refused: map[string]int{}}
	read := make(chan error, 1)
	go func() {
		for answered := 0; answered < n; {
			var r struct {
				ID     *int            `json:"id"`
				Result json.RawMessage `json:"result"`
				Error  *struct {
					Data struct {
						Code string `json:"code"`
					} `json:"data"`
				} `json:"error"`
			}
			c.SetReadDeadline(time.Now().Add(30 * time.Second))
			if err := c.ReadJSON(&r); err != nil {
				read <- fmt.Errorf("after %d answers: %w", answered, err)
				return
			}
			if r.ID == nil {
				continue // a notification
			}
			answered++
			if r.Error != nil {
				ans.Refused[r.Error.Data.Code]++
			} else {
				ans.Accepted++
			}
		}
		c.SetReadDeadline(time.Time{})
		read <- nil
	}()
	for i := range n {
		msg := fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"sov_subscribe","params":["newFinalBlocks"]}`, i)
		if err := c.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
			c.Close()
			return nil, ans, fmt.Errorf("write subscription %d: %w", i, err)
		}
	}
	if err := <-read; err != nil {
		c.Close()
		return nil, ans, err
	}
	// Keep reading (and dropping) notifications so that the server does not
	// see a slow subscriber; reading stops when the caller closes c.
	go func() {
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				return
			}
		}
	}()
	return c, ans, nil
}

// Conns is the outcome of a connection flood.
type Conns struct {
	Open       []net.Conn // answered 200 and still open
	Refused503 int        // answered 503
	Closed     int        // closed or failed without an HTTP answer
}

// Close closes the connections left open.
func (c *Conns) Close() {
	for _, o := range c.Open {
		o.Close()
	}
	c.Open = nil
}

// Connections opens n TCP connections to addr (from the local address
// local, nil for any), 32 at a time, and sends each one JSON-RPC call
// (method, no parameters). Connections answered 200 stay open.
func Connections(addr string, local net.IP, n int, method string) *Conns {
	body := fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":%q,"params":[]}`, method)
	req := fmt.Sprintf("POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", addr, len(body), body)
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		out  = &Conns{}
		work = make(chan struct{})
	)
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := net.Dialer{Timeout: 5 * time.Second}
			if local != nil {
				d.LocalAddr = &net.TCPAddr{IP: local}
			}
			for range work {
				status, c := call(d, addr, req)
				mu.Lock()
				switch status {
				case http.StatusOK:
					out.Open = append(out.Open, c)
				case http.StatusServiceUnavailable:
					out.Refused503++
				default:
					out.Closed++
				}
				mu.Unlock()
			}
		}()
	}
	for range n {
		work <- struct{}{}
	}
	close(work)
	wg.Wait()
	return out
}

// call sends req on a new connection and returns the HTTP status (0 when
// none came) and, for 200, the connection, still open.
func call(d net.Dialer, addr, req string) (int, net.Conn) {
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return 0, nil
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte(req)); err != nil {
		c.Close()
		return 0, nil
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		c.Close()
		return 0, nil
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		c.Close()
		return resp.StatusCode, nil
	}
	c.SetDeadline(time.Time{})
	return resp.StatusCode, c
}
