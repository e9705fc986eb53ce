// Minimal libmicrohttpd server for the HTTP layer choice (BENCHMARKS.md): 202 on POST, epoll, limits on. Not built by CMake.
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
static const char body[] = "{\"id\":\"x\"}";
static enum MHD_Result handle(void* cls, struct MHD_Connection* c, const char* url, const char* method,
                              const char* version, const char* upload, size_t* upload_size, void** state) {
    (void)cls; (void)url; (void)version; (void)upload;
    if (!*state) { *state = (void*)1; return MHD_YES; }   // headers complete: wait for the body
    if (*upload_size) { *upload_size = 0; return MHD_YES; }  // consume body
    struct MHD_Response* r = MHD_create_response_from_buffer(sizeof body - 1, (void*)body, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result ok = MHD_queue_response(c, strcmp(method, "POST") == 0 ? 202 : 200, r);
    MHD_destroy_response(r);
    return ok;
}
int main(int argc, char** argv) {
    int port = argc > 1 ? atoi(argv[1]) : 9101;
    struct MHD_Daemon* d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG, (uint16_t)port, NULL, NULL,
        handle, NULL, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768, MHD_OPTION_CONNECTION_TIMEOUT, 10u,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, 0u, MHD_OPTION_CONNECTION_LIMIT, 10000u, MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
        MHD_OPTION_END);
    if (!d) return 1;
    pause();
}
