#!/usr/bin/env python3
# Regenerates the seed corpora of tests/fuzz/corpus/ from the test fixtures, the IMAP wire
# samples of the unit tests and a few hand-written inputs. Run it after changing those sources;
# inputs merged in by `scripts/fuzz --update-corpus` are kept (only the seed names are rewritten).
import os, re, glob, json
root=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
C=root+'/tests/fuzz/corpus'
def put(target, name, data):
    d=os.path.join(C,target); os.makedirs(d,exist_ok=True)
    if isinstance(data,str): data=data.encode()
    open(os.path.join(d,name),'wb').write(data)

def c_literals(path):
    """name -> bytes for every `inline const char* name = "..." "...";` in a header."""
    src=open(path,encoding='utf-8').read()
    out={}
    for m in re.finditer(r'inline const char\*\s+(\w+)\s*=\s*((?:\s*"(?:[^"\\]|\\.)*")+)\s*;', src):
        parts=re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(2))
        s=''.join(parts)
        b=s.encode('utf-8').decode('unicode_escape').encode('latin-1')
        out[m.group(1)]=b
    return out

# imap_parser: captured Dovecot and other server transcripts from the unit tests.
for name,b in c_literals(root+'/tests/protocol/imap/samples.hpp').items():
    put('imap_parser', name, b)
put('imap_parser','literal-split', b'* 1 FETCH (UID 7 BODY[] {5}\r\nhello)\r\na1 OK done\r\n')
put('imap_parser','list-status', b'* LIST (\\HasNoChildren \\Sent) "/" "Sent"\r\n* STATUS "Sent" (MESSAGES 2 UIDNEXT 3 UIDVALIDITY 5 UNSEEN 0)\r\n* LIST () "/" {12}\r\nEntw&APw-rfe\r\na2 OK List completed\r\n')
put('imap_parser','esearch', b'* ESEARCH (TAG "a3") UID COUNT 3 MIN 1 MAX 9 ALL 1:3,7,9\r\n* SEARCH 1 2 3\r\na3 OK\r\n')
put('imap_parser','continuation-bye', b'+ Ready for literal\r\n* BYE shutting down\r\n* 3 EXPUNGE\r\n* VANISHED (EARLIER) 1:4\r\n* OK [COPYUID 5 1:3 7:9] done\r\na4 NO [TRYCREATE] no such mailbox\r\na5 BAD parse error\r\n')

# mutf7
for i,n in enumerate(['INBOX','Entw&APw-rfe','&ZeVnLIqe-','&-','&2D3eAA-','Sent/2024 &- Archive',
                      'Entwürfe','日本語','😀 fun','a&b','&Jjo','&AGE-','&APwA-', '&2D0-']):
    put('mutf7', 'name%02d'%i, n)

# ids: message ids, a cursor payload (the target signs it), garbage cursors.
for i,s in enumerate(['imap:default:INBOX:1795637293:3','imap:work:Archive/2024:1:42',
                      'imap:a:with:colons:in:name:7:1','imap:default:INBOX:0:4294967295',
                      'imap:default:INBOX:1:0','imap:bad id:INBOX:1:1','abc.def','..']):
    put('ids','id%02d'%i, s)
put('ids','cursor-payload', json.dumps({"v":1,"a":"default","m":"INBOX","uv":1795637293,
    "c":{"query":"invoice","unread_only":True},"b":120,"t":340,"x":1900000000},separators=(',',':')))

# mime: the message fixtures plus the demo mailbox messages (small ones).
for f in sorted(glob.glob(root+'/tests/fixtures/messages/*.eml')):
    put('mime', os.path.basename(f), open(f,'rb').read())
demo=[f for f in glob.glob(root+'/tests/fixtures/demo/**/*', recursive=True) if os.path.isfile(f) and not f.endswith('.md') and f.endswith('.eml') and os.path.getsize(f) < 8000]
for f in sorted(demo)[:20]:
    put('mime', 'demo-'+re.sub(r'[^A-Za-z0-9._-]','_',os.path.relpath(f, root+'/tests/fixtures/demo')), open(f,'rb').read())

# pdf: the PDF fixtures.
for f in sorted(glob.glob(root+'/tests/fixtures/pdf/*.pdf')):
    put('pdf', os.path.basename(f), open(f,'rb').read())

# html: HTML bodies of the fixtures plus classic XSS vectors.
xss=['<p>Hello <b>world</b><script>alert(1)</script></p>',
 '<a href="javascript:alert(1)">x</a><a href="java&#x09;script:alert(1)">y</a><a href=" JaVaScRiPt:alert(1)">z</a>',
 '<img src=x onerror=alert(1)><img src="data:image/png;base64,AAAA"><img src="cid:img1@x">',
 '<svg><script>alert(1)</script></svg><math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
 '<div style="background:url(javascript:alert(1))" onclick="x()">t</div><iframe src="https://e"></iframe>',
 '<table><tr><td colspan=2>a<td>b</table><ul><li>one<li>two</ul><blockquote>q</blockquote><pre>  x\n y</pre>',
 '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
 '<form action="javascript:1"><input formaction="javascript:1"><button>b</button></form>',
 '<a href="https://example.org/?a=1&amp;b=2" title="t">link</a> &amp; &lt;x&gt; &#128512; &nbsp;',
 '<template><script>1</script></template><object data="x"></object><embed src="x"><base href="javascript:/">',
 '<!--<script>--><p>c</p><![CDATA[<script>]]><xmp><script></xmp><textarea><script></textarea>',
 '<html><head><title>T</title><style>p{}</style><meta http-equiv=refresh content="0;url=javascript:1"></head><body><h1>H</h1></body></html>',
 '<div>'*80+'deep'+'</div>'*80]
for i,s in enumerate(xss):
    put('html','xss%02d.html'%i, s)
for f in ['html-only.eml','malicious-html.eml','multipart-alternative.eml']:
    raw=open(root+'/tests/fixtures/messages/'+f,'rb').read()
    i=raw.lower().find(b'<html'); 
    if i<0: i=raw.lower().find(b'<p')
    if i>=0: put('html', f.replace('.eml','.html'), raw[i:])

# http_request
reqs={'get-healthz':'GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n',
'post-init':'POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nAuthorization: Bearer fuzz-token-a\r\nAccept: application/json, text/event-stream\r\nContent-Type: application/json\r\nContent-Length: @LEN@\r\n\r\n{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}',
'chunked':'POST /mcp HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n',
'http10':'GET / HTTP/1.0\r\n\r\n',
'pipelined':'GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\nGET /metrics HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer fuzz-token-b\r\n\r\nDELETE /mcp HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer fuzz-token-a\r\nMcp-Session-Id: abc\r\n\r\n',
'options-origin':'OPTIONS /mcp HTTP/1.1\r\nHost: localhost:8000\r\nOrigin: https://app.example.com\r\nAccess-Control-Request-Method: POST\r\n\r\n',
'expect-continue':'POST /mcp HTTP/1.1\r\nHost: [::1]:8000\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\nnull',
'bad-origin':'POST /mcp HTTP/1.1\r\nHost: evil.example\r\nOrigin: null\r\nContent-Length: 2\r\n\r\n{}',
'post-session':'POST /mcp?x=1#f HTTP/1.1\r\nHost: localhost\r\nAuthorization: bearer fuzz-token-a\r\nMcp-Session-Id: 0123456789abcdef0123456789abcdef\r\nMCP-Protocol-Version: 2025-03-26\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: @LEN@\r\n\r\n[{"jsonrpc":"2.0","id":2,"method":"ping"},{"jsonrpc":"2.0","id":3}]',
}
for k,v in reqs.items():
    if '@LEN@' in v:
        v=v.replace('@LEN@', str(len(v.split('\r\n\r\n',1)[1].encode())))
    put('http_request',k,v)

# mcp_dispatcher: stdio sessions, one message per line.
def line(o): return json.dumps(o,separators=(',',':'),ensure_ascii=False)
init=lambda v='2025-11-25': line({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":v,"capabilities":{},"clientInfo":{"name":"fuzz","version":"1"}}})
note=line({"jsonrpc":"2.0","method":"notifications/initialized"})
calls=[("imap_list_accounts",{}),("imap_verify_account",{"account_id":"default"}),
 ("imap_list_mailboxes",{"account_id":"default"}),
 ("imap_search_messages",{"account_id":"default","mailbox":"INBOX","query":"invoice","unread_only":True,"limit":10}),
 ("imap_search_messages",{"cursor":"abc.def"}),
 ("imap_get_message",{"message_id":"imap:default:INBOX:1795637293:3","body_max_chars":500,"include_html":True,"extract_attachment_text":True}),
 ("imap_get_message_raw",{"message_id":"imap:default:INBOX:1:1","max_bytes":1000}),
 ("imap_update_message_flags",{"message_id":"imap:default:INBOX:1:1","add_flags":["\\Seen"],"remove_flags":["$Junk"]}),
 ("imap_copy_message",{"message_id":"imap:default:INBOX:1:1","destination_mailbox":"Archive"}),
 ("imap_move_message",{"message_id":"imap:default:INBOX:1:1","destination_mailbox":"Archive"}),
 ("imap_delete_message",{"message_id":"imap:default:INBOX:1:1","confirm":True}),
 ("imap_manage_mailbox",{"action":"create","mailbox":"Projects/New"})]
for i,(t,a) in enumerate(calls):
    put('mcp_dispatcher','call-%02d-%s'%(i,t), '\n'.join([init(),note,line({"jsonrpc":"2.0","id":10+i,"method":"tools/call","params":{"name":t,"arguments":a,"_meta":{"progressToken":"p1"}}})])+'\n')
put('mcp_dispatcher','list-ping-cancel','\n'.join([init('2025-06-18'),note,line({"jsonrpc":"2.0","id":2,"method":"tools/list"}),line({"jsonrpc":"2.0","id":"x","method":"ping"}),
  line({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":2}}),line({"jsonrpc":"2.0","id":3,"method":"logging/setLevel","params":{"level":"debug"}}),
  line({"jsonrpc":"2.0","id":4,"method":"nope"}),'{"jsonrpc":"2.0","id":5,"method":','[]','{}','null'])+'\n')
put('mcp_dispatcher','batch','\n'.join([init('2025-03-26'),note,line([{"jsonrpc":"2.0","id":2,"method":"ping"},{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"imap_list_accounts","arguments":{}}},{"jsonrpc":"2.0","method":"notifications/initialized"}])])+'\n')
put('mcp_dispatcher','deep','\n'.join([init(),'['*40+']'*40, line({"jsonrpc":"2.0","id":1.5,"method":"tools/call","params":{"name":"imap_get_message","arguments":{"message_id":"x\r\n{123}\u0000","body_max_chars":1e30}}})])+'\n')
